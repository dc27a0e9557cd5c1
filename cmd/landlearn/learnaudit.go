package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn"
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
	// Collapse and AllowSensitive are minimize's knobs for the policy of
	// each round (--collapse, --allow-sensitive), as learn uses them for
	// the policy it writes.
	Collapse       int
	AllowSensitive bool
	// Snapshot is the working directory before the trace run of
	// trace+audit (workdir.TakeSnapshot, taken before tracing): the rounds
	// start from it. nil: they start from the directory as it is.
	Snapshot *workdir.Snapshot
}

// roundOutputLimit bounds what is kept of one round's output: only the
// last round's is shown, and a chatty program must not fill memory.
const roundOutputLimit = 1 << 20

// runAuditRounds enforces the policy minimized from seed (plus what each
// round adds) with audit logging, collects the kernel's denials, and runs
// argv again until a round adds nothing. It returns seed plus the
// denials as observations, and the exit status of the last round.
//
// Every round runs argv with stdin from /dev/null (a round cannot replay
// what the user typed) and its output captured; the last round's output
// is shown at the end, so that the user sees one run, not one per round.
func runAuditRounds(ctx context.Context, argv []string, seed []learn.Observation, o auditRounds) ([]learn.Observation, int, error) {
	if o.Snapshot != nil {
		defer o.Snapshot.Remove() // also when the rounds never start
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	stdout := o.Stdout
	if stdout == nil {
		stdout = os.Stdout
	}
	vars := policy.DefaultVars()
	var old *policy.Policy
	if o.Merge != "" {
		var err error
		if old, err = policy.LoadFile(o.Merge); err != nil {
			return seed, 0, &exitError{Code: exitUsage, Err: fmt.Errorf("--merge: %w", err)}
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return seed, 0, &exitError{Code: exitUsage, Err: err}
	}
	ctx, stop := interruptContext(ctx)
	defer stop()
	l, release, err := openAudit(stderr)
	if err != nil {
		return seed, 0, err
	}
	defer release()

	maxRounds := o.Rounds
	if maxRounds <= 0 {
		maxRounds = rounds.DefaultRounds
	}
	opts := minimizeOptions(o.Collapse, o.AllowSensitive, vars, nil)
	// Each round's observations are the last round's plus what it added:
	// one Builder takes what is new (Policy can be asked again).
	b, fed := minimize.New(opts), 0
	notices := stderr // enforce's notices (dropped rights): once
	var out, errOut limitedBuffer
	learner := rounds.Rounds{
		Max:      maxRounds,
		Dir:      dir,
		NoReset:  o.NoReset,
		Snapshot: o.Snapshot,
		Log:      stderr,
		Policy: func(obs []learn.Observation) (*policy.Policy, error) {
			if len(obs) < fed { // not the last round's plus more
				b, fed = minimize.New(opts), 0
			}
			for _, ob := range obs[fed:] {
				b.Add(ob)
			}
			fed = len(obs)
			p, _ := b.Policy()
			if old != nil {
				p = policy.Merge(old, p)
			}
			return optionalMissing(p, vars)
		},
		Command: func(p *policy.Policy) (*exec.Cmd, error) {
			c, err := enforce.Command(p, argv, enforce.Options{Vars: vars, Log: true, Stderr: notices})
			notices = io.Discard
			if err != nil {
				return nil, err
			}
			out.Reset()
			errOut.Reset()
			c.Stdout, c.Stderr = &out, &errOut
			return c, nil
		},
	}
	fmt.Fprintf(stderr, "landlearn: backend audit: running %s under the policy learned so far until the kernel denies nothing (at most %d rounds)\n", argv[0], maxRounds)
	res, err := learner.Run(ctx, l, seed)
	stdout.Write(out.Bytes())
	stderr.Write(errOut.Bytes())
	if err != nil {
		code := exitUsage
		switch {
		case errors.Is(err, enforce.ErrNotFound):
			code = enforce.ExitNotFound
		case errors.Is(err, enforce.ErrCannotExecute):
			code = enforce.ExitCannotExec
		}
		return res.Observations, res.ExitCode, &exitError{Code: code, Err: fmt.Errorf("learn --backend audit: %w", err)}
	}
	switch {
	case res.Converged:
		fmt.Fprintf(stderr, "landlearn: backend audit: converged after %s: the last run was denied nothing\n", roundCount(res.Rounds))
	case len(res.Stuck) > 0:
		fmt.Fprintf(stderr, "landlearn: warning: backend audit did not converge: the kernel still denies what the policy grants.\n"+
			"  Usual causes: a rename or link between directories that would gain rights (EXDEV; see 'landlearn explain'),\n"+
			"  a rule on a file the program replaces, or a sandbox the program sets up itself. Last denials:\n")
		for _, g := range res.Stuck {
			fmt.Fprintf(stderr, "    %s: %v\n", g.Object, g.Rights)
		}
	case len(res.MovingPorts) > 0:
		fmt.Fprintf(stderr, "landlearn: warning: backend audit stopped after %s: each run connected to another port of the ephemeral range (%s),\n"+
			"  most likely one its own server got from bind(0). A Landlock rule names one port, so no policy lets the next run connect:\n"+
			"  give the server a fixed port, or leave connect_tcp out of handled.net (then no TCP connect is restricted)\n",
			roundCount(res.Rounds), rounds.JoinPorts(res.MovingPorts))
	default:
		fmt.Fprintf(stderr, "landlearn: warning: backend audit stopped after %s with denials left; raise --rounds\n", roundCount(res.Rounds))
	}
	return res.Observations, res.ExitCode, nil
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
