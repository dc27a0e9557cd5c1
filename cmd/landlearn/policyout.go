package main

import (
	"io"

	"github.com/landlearn/landlearn/learn"
)

// policyOutput says where and how `learn` writes the policy it learned.
type policyOutput struct {
	Path           string // -o, default landlock.yaml
	Force          bool   // --force: overwrite an existing file
	Merge          string // --merge OLD.yaml: grow that policy instead
	Collapse       int    // --collapse N
	AllowSensitive bool   // --allow-sensitive
	Stderr         io.Writer
}

// writeLearnedPolicy minimizes the observations of a learning run and
// writes the policy to out.Path atomically (temp file, rename), printing
// the summary on out.Stderr.
func writeLearnedPolicy(obs []learn.Observation, out policyOutput) error {
	return notImplemented("writing a policy from observations")
}
