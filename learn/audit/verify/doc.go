// Package verify answers `landlearn verify`: did the kernel deny
// anything to a command under a policy? [Command] proves that the
// listener sees denials, runs the command in its logging domain and
// returns what was denied; [WriteReport] prints that for people, one
// object at a time ([GroupByObject]) with the rights it lacked, who
// asked, and the rule that fixes it.
//
// It does not switch audit on or open the listener (the caller holds a
// session and a live.Listener), and it leaves the verdict and the exit
// status to the caller.
package verify
