package rounds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/verify"
	"github.com/landlearn/landlearn/learn/audit/workdir"
	"github.com/landlearn/landlearn/policy"
)

// DefaultRounds is the default --rounds: a program usually stops at its
// first fatal denial, so learning from nothing takes one round per
// missing right that is fatal (the binary, its interpreter, a library,
// the data...).
const DefaultRounds = 64

// Rounds is audit learning: enforce the policy learned so far with
// logging, turn the kernel's denials into observations, add them, and run
// again, until a round is denied nothing. The kernel is the oracle, so
// what it learns is exact for the paths this program took, in this
// working directory.
//
// Each round starts from the same state: the working directory is copied
// before round 1 and restored before every later round (files the program
// changes elsewhere are not restored). Paths below it that did not exist
// before round 1 were created by the program, so their observations are
// marked created, which minimize lifts to the nearest stable ancestor:
// a rule on a file that the next run recreates would be lost.
type Rounds struct {
	// Max is the most rounds to run; 0 means DefaultRounds.
	Max int
	// Dir is the working directory to reset between rounds ("" is none).
	Dir string
	// NoReset runs every round on what the previous one left in Dir.
	NoReset bool
	// Keep are files in Dir that the reset leaves alone: those landlearn
	// writes while the rounds run (--raw).
	Keep []string
	// Snapshot, when set, is Dir as it was before a trace run that made
	// the seed (Dir and NoReset are then not used): round 1 starts from
	// it too, so that files the trace run created are not there (an
	// O_TRUNC of them would ask for truncate) and files it moved are back.
	Snapshot *workdir.Snapshot
	// Policy minimizes the observations into the policy of the next
	// round (the caller merges an old policy into it, if any).
	Policy func([]learn.Observation) (*policy.Policy, error)
	// Command returns the command to run under p with audit logging on
	// (enforce.Command with Options.Log, below a keeper.Tree), not yet
	// started. The caller stops it if it must (a timeout, Ctrl-C): the
	// round then counts what the kernel denied until it ended.
	Command func(p *policy.Policy) (live.Command, error)
	// Stopped, when closed, ends learning after the round that runs
	// (Ctrl-C): what it was denied until then is kept, and
	// Result.Interrupted is set. nil: never.
	Stopped <-chan struct{}
	// Log receives one line per round: what it was denied and added.
	Log io.Writer
}

// Result is how audit learning ended.
type Result struct {
	// Observations are the seed plus what the rounds added.
	Observations []learn.Observation
	// Rounds is the number of rounds run; ExitCode the last one's exit
	// status.
	Rounds   int
	ExitCode int
	// Converged is set when the last round was denied nothing.
	Converged bool
	// Interrupted is set when Stopped was closed, or ctx done, during
	// round Rounds (or before it started, when Rounds is 0): its
	// denials until then are in Observations.
	Interrupted bool
	// Stuck lists what the last round was denied although earlier rounds
	// had added it (the kernel denies it for another reason: see Log).
	// Neither Converged, Stuck nor MovingPorts: the round limit was hit.
	Stuck []verify.ObjectDenials
	// MovingPorts are set when the rounds were denied connect_tcp on a
	// new port of the ephemeral range each time, and nothing else: a
	// port that changes from run to run (a server the program started
	// with bind(0)), which no rule can follow. The rounds' rules for
	// these ports are left out of Observations.
	MovingPorts []uint16
}

// Run learns from l, starting from seed (the observations of a trace
// run, or none; Run never writes it, and Result.Observations shares its
// array until a round adds to it). After the last round the working
// directory is as that round left it, as after a normal run; when
// learning fails or is interrupted it is put back as it was before
// round 1. An interruption (Stopped, or ctx done while a round runs) is
// not an error: the Result says so and holds what was learned.
func (r Rounds) Run(ctx context.Context, l *live.Listener, seed []learn.Observation) (_ *Result, err error) {
	max := r.Max
	if max <= 0 {
		max = DefaultRounds
	}
	// Observations only grow by append: capped at seed's length, the
	// first append copies, and seed is never written (nor copied twice
	// when the caller already made it a copy).
	res := &Result{Observations: seed[:len(seed):len(seed)]}
	var snap *workdir.Snapshot
	restoreFirst := r.Snapshot != nil
	if r.Snapshot != nil {
		snap = r.Snapshot
	} else if r.Dir != "" {
		if snap, err = workdir.TakeSnapshot(r.Dir, !r.NoReset, r.Keep...); err != nil {
			return res, err
		}
	}
	if snap != nil {
		defer func() {
			if (err != nil || res.Interrupted) && (res.Rounds > 0 || restoreFirst) {
				if rerr := snap.Restore(); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
			snap.Remove()
		}()
	}
	if err := l.SelfCheck(ctx); err != nil {
		return res, err
	}
	known := map[string]bool{}
	// ownEphemeral: the trace seed saw the program connect to its own
	// server's ephemeral port. moving: the ports of the last rounds in a
	// row that added nothing but connect_tcp on ports of the ephemeral
	// range.
	ownEphemeral := false
	var moving []uint16
	movingN := 0 // rounds
	for _, o := range res.Observations {
		for _, k := range observationKeys(o) {
			known[k] = true
		}
		ownEphemeral = ownEphemeral || o.WarningKind == learn.WarnOwnEphemeral
	}
	for round := 1; round <= max; round++ {
		if r.stopped() || ctx.Err() != nil {
			res.Interrupted = true
			return res, nil
		}
		if (round > 1 || restoreFirst) && snap != nil {
			if err := snap.Restore(); err != nil {
				return res, err
			}
		}
		p, err := r.Policy(res.Observations)
		if err != nil {
			return res, fmt.Errorf("round %d: %w", round, err)
		}
		cmd, err := r.Command(p)
		if err != nil {
			return res, fmt.Errorf("round %d: %w", round, err)
		}
		res.Rounds = round
		run, err := l.Observe(ctx, cmd)
		if run == nil {
			return res, fmt.Errorf("round %d: %w", round, err)
		}
		res.ExitCode = run.ExitCode
		denials := slices.Concat(run.Denials, run.NestedDenials)
		if err != nil || r.stopped() {
			// What the kernel denied until the interruption is as
			// true as a whole round's.
			added := r.fresh(denials, snap, known)
			res.Observations = append(res.Observations, added...)
			res.Interrupted = true
			if len(added) > 0 {
				r.logf("round %d: interrupted (exit %d), added %s", round, run.ExitCode, describeObservations(added))
			} else {
				r.logf("round %d: interrupted (exit %d), nothing new denied", round, run.ExitCode)
			}
			return res, nil
		}
		if len(denials) == 0 {
			if run.Loss != nil {
				return res, fmt.Errorf("round %d saw no denial, but %w", round, run.Loss)
			}
			r.logf("round %d: exit %d, nothing denied: done", round, run.ExitCode)
			res.Converged = true
			return res, nil
		}
		added := r.fresh(denials, snap, known)
		if len(added) == 0 {
			res.Stuck = verify.GroupByObject(denials)
			r.logf("round %d: exit %d, denied again what earlier rounds granted: %s", round, run.ExitCode, describeGroups(res.Stuck))
			return res, nil
		}
		// A new ephemeral port each round, and nothing else: after the
		// trace saw the program's own listener, or in a third round in a
		// row (two could be two fixed ports that the program only tries
		// one after the other), the rounds would only chase the next
		// run's port. The earlier rounds' rules for it go too.
		ports := ephemeralConnects(added)
		if ports != nil && (ownEphemeral || movingN >= movingRounds-1) {
			said := "not added"
			switch {
			case len(moving) == 1:
				said += ", and the earlier round's port " + JoinPorts(moving) + " left out"
			case len(moving) > 1:
				said += ", and the earlier rounds' ports " + JoinPorts(moving) + " left out"
			}
			r.logf("round %d: exit %d, denied only connect_tcp on port %s, another port of the ephemeral range than before: %s", round, run.ExitCode, JoinPorts(ports), said)
			res.MovingPorts = append(moving, ports...)
			kept := res.Observations[:len(seed):len(seed)] // seed is never written
			for _, o := range res.Observations[len(seed):] {
				if o.Port == nil || !slices.Contains(moving, *o.Port) || o.Net != policy.NetConnectTCP {
					kept = append(kept, o)
				}
			}
			res.Observations = kept
			return res, nil
		}
		if ports != nil {
			moving, movingN = append(moving, ports...), movingN+1
		} else {
			moving, movingN = nil, 0
		}
		res.Observations = append(res.Observations, added...)
		r.logf("round %d: exit %d, added %s", round, run.ExitCode, describeObservations(added))
	}
	return res, nil
}

// stopped says whether Stopped is closed.
func (r Rounds) stopped() bool {
	select {
	case <-r.Stopped:
		return true
	default:
		return false
	}
}

// fresh are the observations of denials that grant something not yet
// known, which it then knows. A denial's observations go in together or
// not at all: the one that marks a created directory repeats a known make
// right, but is what makes minimize lift the new one.
func (r Rounds) fresh(denials []audit.Denial, snap *workdir.Snapshot, known map[string]bool) []learn.Observation {
	var added []learn.Observation
	for _, d := range denials {
		group := r.mark(d.Observations(), snap)
		fresh := false
		for _, o := range group {
			fresh = fresh || len(newKeys(o, known)) > 0
		}
		if !fresh {
			continue
		}
		for _, o := range group {
			for _, k := range observationKeys(o) {
				known[k] = true
			}
		}
		added = append(added, group...)
	}
	return added
}

// movingRounds is how many rounds in a row must be denied only a new
// ephemeral connect port (without a trace that saw the program's own
// listener) before the rounds stop chasing it.
const movingRounds = 3

// ephemeralConnects are the ports of obs when every observation is a
// connect_tcp on a port of the ephemeral range (learn.EphemeralPort),
// else nil.
func ephemeralConnects(obs []learn.Observation) []uint16 {
	var ports []uint16
	for _, o := range obs {
		if o.Port == nil || o.Net != policy.NetConnectTCP || !learn.EphemeralPort(*o.Port) {
			return nil
		}
		ports = append(ports, *o.Port)
	}
	return ports
}

// JoinPorts says "34329, 44931".
func JoinPorts(ports []uint16) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	return strings.Join(s, ", ")
}

func (r Rounds) logf(format string, args ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, "landlearn: audit "+format+"\n", args...)
	}
}

// mark sets Created on observations of paths a run created, and adds, for
// the highest such path, the observation that creating it implies (the
// make right on its parent, with Dst naming it), so that minimize treats
// it as created and lifts what is beneath it.
func (r Rounds) mark(obs []learn.Observation, snap *workdir.Snapshot) []learn.Observation {
	if snap == nil {
		return obs
	}
	var out []learn.Observation
	for _, o := range obs {
		if o.Path == "" {
			out = append(out, o)
			continue
		}
		if top := snap.TopCreated(o.Path); top != "" {
			typ := learn.TypeDir // an ancestor of o.Path
			if top == o.Path {
				typ = o.Type
			}
			out = append(out, learn.Observation{
				Seq: o.Seq, Syscall: o.Syscall, PID: o.PID, Exe: o.Exe,
				Path: filepath.Dir(top), Type: learn.TypeDir, FS: learn.MakeRight(typ),
				Created: true, Dst: top,
			})
			o.Created = true
		}
		out = append(out, o)
	}
	return out
}

// observationKeys are what an observation grants, one key per right.
func observationKeys(o learn.Observation) []string {
	var obj string
	switch {
	case o.Path != "":
		obj = "path " + o.Path
	case o.Port != nil:
		obj = "port " + strconv.Itoa(int(*o.Port))
	case o.Scope != "":
		return []string{"scope " + o.Scope}
	case o.Warning != "":
		return []string{"warning " + o.Warning}
	}
	var keys []string
	for _, a := range o.AccessNames() {
		keys = append(keys, obj+" "+a)
	}
	return keys
}

func newKeys(o learn.Observation, known map[string]bool) []string {
	var out []string
	for _, k := range observationKeys(o) {
		if !known[k] {
			out = append(out, k)
		}
	}
	return out
}

func describeObservations(obs []learn.Observation) string {
	var parts []string
	for _, o := range obs {
		if o.Dst != "" && o.Created {
			continue // the implied make right of a created path
		}
		switch {
		case o.Path != "":
			s := strings.Join(o.AccessNames(), ",") + " on " + o.Path
			if o.Created {
				s += " (created during the run)"
			}
			parts = append(parts, s)
		case o.Port != nil:
			parts = append(parts, strings.Join(o.AccessNames(), ",")+" on port "+strconv.Itoa(int(*o.Port)))
		case o.Scope != "":
			parts = append(parts, "scope "+o.Scope+" off")
		case o.Warning != "":
			parts = append(parts, "warning: "+o.Warning)
		}
	}
	return strings.Join(slices.Compact(parts), "; ")
}

func describeGroups(gs []verify.ObjectDenials) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, strings.Join(g.Rights, ",")+" on "+g.Object)
	}
	return strings.Join(parts, "; ")
}
