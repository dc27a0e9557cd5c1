package main

import (
	"context"
	"io"

	"github.com/landlearn/landlearn/learn"
)

// auditRounds configures `learn --backend audit|trace+audit`.
type auditRounds struct {
	Rounds  int    // --rounds N (default 64)
	Merge   string // --merge OLD.yaml: start from that policy
	NoReset bool   // --no-reset: do not restore the working directory between rounds
	Stderr  io.Writer
}

// runAuditRounds enforces the policy minimized from seed (plus what each
// round adds) with audit logging, collects the kernel's denials, and runs
// argv again until a round adds nothing. It returns seed plus the
// denials as observations, and the exit status of the last round.
func runAuditRounds(ctx context.Context, argv []string, seed []learn.Observation, o auditRounds) ([]learn.Observation, int, error) {
	return seed, 0, notImplemented("learn --backend audit")
}
