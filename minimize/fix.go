package minimize

import (
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// Fixes returns what names the fix for an access a policy denied, as
// learn would write it: it minimizes obs (a run that check traced, or the
// denials verify and explain read, as observations) as one run with
// header h and options o, and a denied path gets the rule of that policy
// that covers it, with the rights it lacked: ${PWD}/static where the run
// treats static/ as a unit, the system group for a library, ${PWD}/x
// rather than this checkout's path. A path no rule covers (a deleted
// file) keeps its name, with the variables.
//
// The result has the shape of audit.Namer.
func Fixes(obs []learn.Observation, h *learn.Header, o Options) func(path string, fs policy.FSAccess) policy.FSRule {
	b := New(o)
	b.StartRun(h)
	for _, ob := range obs {
		b.Add(ob)
	}
	p, _ := b.Policy()
	r := b.runs[0]
	abstract := r.vars.Abstracter()
	prefixes := groupPrefixes(policy.Host{Root: o.Root}, r.vars)
	groups := map[string]policy.FSAccess{}
	for _, rule := range p.FS {
		if rule.Group != "" {
			groups[rule.Group] = rule.Access
		}
	}
	return func(path string, fs policy.FSAccess) policy.FSRule {
		name := abstract(path)
		best := ""
		for _, rule := range p.FS {
			if rule.Group == "" && rule.Access&fs != 0 && len(rule.Path) > len(best) &&
				(rule.Path == name || strings.HasPrefix(name, rule.Path+"/")) {
				best = rule.Path
			}
		}
		if best != "" {
			return policy.FSRule{Path: best, Access: fs, Learned: true}
		}
		if fs&^policy.GroupRights == 0 && strings.HasPrefix(name, "/") {
			for _, gp := range prefixes {
				if groups[gp.group]&fs != 0 && beneath(path, gp.prefix) {
					return policy.FSRule{Group: gp.group, Access: fs}
				}
			}
		}
		return policy.FSRule{Path: name, Access: fs, Learned: true}
	}
}
