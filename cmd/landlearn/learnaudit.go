package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/rounds"
	"github.com/landlearn/landlearn/learn/audit/workdir"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// auditRounds configures `learn --backend audit|trace+audit`.
type auditRounds struct {
	Rounds  int    // --rounds N (default 64)
	Merge   string // --merge OLD.yaml: start from that policy
	NoReset bool   // --no-reset: do not restore the working directory between rounds
	Stderr  io.Writer
	// Stdout receives the last round's standard output; nil means
	// os.Stdout.
	Stdout io.Writer
	// Shape are minimize's knobs for the policy of each round
	// (--collapse, --allow-sensitive, --exact), as learn uses them for
	// the policy it writes; Header is the run's, for minimize.
	Shape  shape
	Header *learn.Header
	// Snapshot is the working directory before the trace run of
	// trace+audit (workdir.TakeSnapshot, taken before tracing): the rounds
	// start from it. nil: they start from the directory as it is.
	Snapshot *workdir.Snapshot
	// Keep are files landlearn writes in the working directory (--raw),
	// which resetting it must leave alone.
	Keep []string
	// Timeout and Grace stop each round's program (--timeout, --grace).
	Timeout, Grace time.Duration
	// Stopper catches the signals that stop the rounds; nil: the rounds
	// catch them themselves.
	Stopper *stopper
	// Record, when set, gets each round's new observations as the round
	// ends, so that a killed learner leaves them in its JSONL file.
	Record func(learn.Observation)
	// Progress shows the round that runs; CmdStderr, when set, is where
	// the last round's stderr goes (Stderr gets landlearn's messages).
	Progress  *progress
	CmdStderr io.Writer
}

// auditResult is how the rounds ended.
type auditResult struct {
	// Observations are the seed plus what the rounds added; ExitCode is
	// the last round's status.
	Observations []learn.Observation
	ExitCode     int
	// Interrupted is the round a signal interrupted (0: none), and Signal
	// the signal.
	Interrupted int
	Signal      string
	// TimedOut is set when --timeout stopped the last round.
	TimedOut bool
}

// roundOutputLimit bounds what is kept of one round's output: only the
// last round's is shown, and a chatty program must not fill memory.
const roundOutputLimit = 1 << 20

// runAuditRounds enforces the policy minimized from seed (plus what each
// round adds) with audit logging, collects the kernel's denials, and runs
// argv again until a round adds nothing. It returns seed plus the
// denials as observations, and the exit status of the last round. A
// signal ends the rounds after the one that runs, whose denials until
// then count: the result says which round it interrupted.
//
// Every round runs argv with stdin from /dev/null (a round cannot replay
// what the user typed) and its output captured; the last round's output
// is shown at the end, so that the user sees one run, not one per round.
// Each round's program runs below a keeper: nothing it starts outlives
// the round, or landlearn.
func runAuditRounds(ctx context.Context, argv []string, seed []learn.Observation, o auditRounds) (auditResult, error) {
	if o.Snapshot != nil {
		defer o.Snapshot.Remove() // also when the rounds never start
	}
	result := auditResult{Observations: seed}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	stdout := o.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	st := o.Stopper
	if st == nil {
		st = newStopper(o.Timeout, o.Grace, stderr)
		defer st.close()
	}
	vars := policy.DefaultVars()
	var old *policy.Policy
	if o.Merge != "" {
		var err error
		if old, err = policy.LoadFile(o.Merge); err != nil {
			return result, &exitError{Code: exitUsage, Err: fmt.Errorf("--merge: %w", err)}
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return result, &exitError{Code: exitUsage, Err: err}
	}
	// ctx, or a second signal, kills the round's program at once.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-st.hard.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	l, release, err := openAudit(stderr)
	if err != nil {
		return result, err
	}
	defer release()

	maxRounds := o.Rounds
	if maxRounds <= 0 {
		maxRounds = rounds.DefaultRounds
	}
	opts := minimizeOptions(o.Shape, vars, nil)
	newBuilder := func() *minimize.Builder {
		b := minimize.New(opts)
		b.StartRun(o.Header)
		return b
	}
	// Each round's observations are the last round's plus what it added:
	// one Builder takes what is new (Policy can be asked again).
	b, fed := newBuilder(), 0
	recorded := len(seed)
	notices := stderr // enforce's notices (dropped rights): once
	var out, errOut limitedBuffer
	var last *treeCommand
	round := 0
	learner := rounds.Rounds{
		Max:      maxRounds,
		Dir:      dir,
		NoReset:  o.NoReset,
		Keep:     o.Keep,
		Snapshot: o.Snapshot,
		Log:      stderr,
		Stopped:  st.Stopped(),
		Policy: func(obs []learn.Observation) (*policy.Policy, error) {
			if len(obs) < fed { // not the last round's plus more
				b, fed = newBuilder(), 0
			}
			for _, ob := range obs[fed:] {
				b.Add(ob)
			}
			fed = len(obs)
			if o.Record != nil && len(obs) > recorded {
				for _, ob := range obs[recorded:] {
					o.Record(ob)
				}
				recorded = len(obs)
			}
			p, _ := b.Policy()
			if old != nil {
				p = policy.Merge(old, p)
			}
			return optionalMissing(p, vars)
		},
		Command: func(p *policy.Policy) (live.Command, error) {
			c, err := enforce.Command(p, argv, enforce.Options{Vars: vars, Log: true, Mark: true, Stderr: notices})
			notices = io.Discard
			if err != nil {
				return nil, err
			}
			out.Reset()
			errOut.Reset()
			round++
			o.Progress.setRound(round)
			c.Stdout, c.Stderr = &out, &errOut
			last = st.command(c, argv[0])
			return last, nil
		},
	}
	fmt.Fprintf(stderr, "landlearn: backend audit: running %s under the policy learned so far until the kernel denies nothing (at most %d rounds)\n", argv[0], maxRounds)
	res, err := learner.Run(ctx, l, seed)
	o.Progress.stop()
	stdout.Write(out.Bytes())
	if o.CmdStderr != nil {
		o.CmdStderr.Write(errOut.Bytes())
	} else {
		stderr.Write(errOut.Bytes())
	}
	result.Observations, result.ExitCode = res.Observations, res.ExitCode
	result.TimedOut = last != nil && last.timedOut
	if o.Record != nil && len(res.Observations) > recorded {
		for _, ob := range res.Observations[recorded:] {
			o.Record(ob)
		}
	}
	if err != nil {
		code := exitUsage
		switch {
		case errors.Is(err, enforce.ErrNotFound):
			code = enforce.ExitNotFound
		case errors.Is(err, enforce.ErrCannotExecute):
			code = enforce.ExitCannotExec
		}
		return result, &exitError{Code: code, Err: fmt.Errorf("learn --backend audit: %w", st.explain(err))}
	}
	switch {
	case res.Interrupted:
		result.Interrupted = max(res.Rounds, 1)
		result.Signal = "Ctrl-C"
		if sig := st.signal(); sig != nil {
			result.Signal = signalName(sig)
		}
		fmt.Fprintf(stderr, "landlearn: backend audit: %s interrupted round %d: the policy covers %s and what round %d was denied until then\n",
			result.Signal, result.Interrupted, roundsBefore(result.Interrupted), result.Interrupted)
	case res.Converged:
		fmt.Fprintf(stderr, "landlearn: backend audit: converged after %s: the last run was denied nothing\n", roundCount(res.Rounds))
	case len(res.Stuck) > 0:
		fmt.Fprintf(stderr, "landlearn: warning: backend audit did not converge: the kernel still denies what the policy grants.\n"+
			"  Usual causes: a rename or link between directories that would gain rights (EXDEV; see 'landlearn explain'),\n"+
			"  a rule on a file the program replaces, or a sandbox the program sets up itself. Last denials:\n")
		for _, g := range res.Stuck {
			fmt.Fprintf(stderr, "    %s: %s\n", g.Text(), textsafe.Inline(fmt.Sprint(g.Rights)))
		}
	case len(res.MovingPorts) > 0:
		fmt.Fprintf(stderr, "landlearn: warning: backend audit stopped after %s: each run connected to another port of the ephemeral range (%s),\n"+
			"  most likely one its own server got from bind(0). A Landlock rule names one port, so no policy lets the next run connect:\n"+
			"  give the server a fixed port, or leave connect_tcp out of handled.net (then no TCP connect is restricted)\n",
			roundCount(res.Rounds), rounds.JoinPorts(res.MovingPorts))
	default:
		fmt.Fprintf(stderr, "landlearn: warning: backend audit stopped after %s with denials left; raise --rounds\n", roundCount(res.Rounds))
	}
	return result, nil
}

// roundsBefore says which rounds came before round n: "the seed", "round
// 1", "rounds 1 to 4".
func roundsBefore(n int) string {
	switch n {
	case 1:
		return "what it started from"
	case 2:
		return "round 1"
	}
	return fmt.Sprintf("rounds 1 to %d", n-1)
}

// roundCount says "1 round", "20 rounds".
func roundCount(n int) string { return strconv.Itoa(n) + " " + pluralWord(n, "round") }

// optionalMissing expands p and makes its rules on missing paths
// optional. A round's policy is enforced on the state the rounds restore,
// and a path a run left outside the working directory may be gone: the
// kernel cannot attach a rule to it, and must not fail the round for it.
// The policy learn writes is minimized again from the observations.
func optionalMissing(p *policy.Policy, vars policy.Vars) (*policy.Policy, error) {
	p, err := p.Expand(vars)
	if err != nil {
		return nil, err
	}
	for i, r := range p.FS {
		if _, err := os.Stat(r.Path); err != nil {
			p.FS[i].Optional = true
		}
	}
	return p, nil
}

// limitedBuffer keeps the first roundOutputLimit bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := roundOutputLimit - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
