// Package rounds learns a policy with the kernel as the oracle (`landlearn
// learn --backend audit`): run the command under the policy learned so
// far with audit logging, turn what the kernel denied into observations,
// and run again until a round is denied nothing. It owns the loop and
// when it stops: converged, stuck on what a rule does not fix, chasing a
// port that moves from run to run, or at the round limit.
//
// It does not minimize or enforce policies (the caller's Rounds.Policy
// and Rounds.Command do), write them, or switch audit on; workdir resets
// the working directory between rounds.
package rounds
