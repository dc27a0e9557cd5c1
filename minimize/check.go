package minimize

import (
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// Gap is something a run did that a policy does not allow.
type Gap struct {
	// What is "fs", "net", "scope" or "move" (a rename or link whose
	// moved object would gain rights: EXDEV).
	What string
	Path string // fs and move: the object; move: the source
	Dst  string // move: the destination directory
	Port uint16
	// Missing are the fs rights not granted (fs, move), MissingNet the
	// net rights (net), MissingScopes the scope that the policy handles
	// but the run needs off (scope).
	Missing       policy.FSAccess
	MissingNet    policy.NetAccess
	MissingScopes policy.ScopeSet
	Count         int
	Exes          []string
	Syscall       string
	// Rule is the index in the policy's FS (or Net) of the closest rule,
	// the one a fix most likely extends; -1 when there is none.
	Rule int
}

// String is one line for people.
func (g Gap) String() string {
	by := fmt.Sprintf("%s by %s, %s", g.Syscall, strings.Join(g.Exes, ", "), plural(g.Count, "time", "times"))
	switch g.What {
	case "net":
		return fmt.Sprintf("port %d: missing [%s] (%s)", g.Port, strings.Join(g.MissingNet.Names(), ", "), by)
	case "scope":
		return fmt.Sprintf("scope %s: the run needs it off, the policy handles it (%s); remove it from handled.scoped",
			strings.Join(g.MissingScopes.Names(), ", "), by)
	case "move":
		return fmt.Sprintf("%s -> %s: the moved object would gain %s there, so the kernel answers EXDEV (%s); grant those on the source directory too",
			g.Path, g.Dst, g.Missing, by)
	}
	return fmt.Sprintf("%s: missing %s (%s)", g.Path, g.Missing, by)
}

// CheckResult is what Check found.
type CheckResult struct {
	Observations int
	Gaps         []Gap
	// UnusedFS and UnusedNet are the indexes of rules that no
	// observation needed: information, since one run rarely takes every
	// code path.
	UnusedFS, UnusedNet []int
	// Warnings are the run's own warnings (io_uring, mount, ptrace...).
	Warnings []string
}

// Check tests every observation of one run against p, which must be
// expanded (Expand) and symlink-resolved (ResolveSymlinks) in this
// process. /proc/PID of the run's first process is compared as this
// process's /proc/self, as ResolveSymlinks resolved it, since the policy
// was learned with /proc/self there. Gaps are sorted and merged by
// object, so the output reads like a diff.
func Check(p *policy.Policy, obs []learn.Observation) *CheckResult {
	res := &CheckResult{Observations: len(obs)}
	sorted := append([]learn.Observation(nil), obs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Seq < sorted[j].Seq })
	root := ""
	if len(sorted) > 0 && sorted[0].PID > 0 {
		root = "/proc/" + strconv.Itoa(sorted[0].PID)
	}
	self := "/proc/" + strconv.Itoa(os.Getpid())
	// The first observation is landlearn's helper starting the program:
	// name it as the policy's comments do, not by where it is installed.
	launcher := ""
	if len(sorted) > 0 {
		launcher = launcherOf(&sorted[0])
	}

	usedFS := make([]bool, len(p.FS))
	usedNet := make([]bool, len(p.Net))
	gaps := map[string]*Gap{}
	add := func(key string, g Gap, exe string) {
		e := gaps[key]
		if e == nil {
			g.Count = 0
			e = &g
			gaps[key] = e
		}
		e.Missing |= g.Missing
		e.Count++
		if exe != "" && exe == launcher {
			exe = "landlearn"
		}
		if exe != "" && !slices.Contains(e.Exes, exe) {
			e.Exes = append(e.Exes, exe)
			sort.Strings(e.Exes)
		}
	}
	warned := map[string]bool{}
	fileRights := policy.FileRights() & p.Handled.FS
	for _, o := range sorted {
		switch {
		case o.Warning != "":
			if !warned[o.Warning] {
				warned[o.Warning] = true
				res.Warnings = append(res.Warnings, o.Warning)
			}
		case o.Scope != "":
			r, ok := policy.LookupRight(o.Scope)
			if !ok || r.Kind != policy.KindScope {
				continue
			}
			if d := p.ScopesDenied(policy.ScopeSet(r.Bit)); d != 0 {
				add("scope "+r.Name, Gap{What: "scope", MissingScopes: d, Syscall: o.Syscall, Rule: -1}, o.Exe)
			}
		case o.Port != nil:
			want := o.Net
			for i, r := range p.Net {
				if r.Port == *o.Port && r.Access&want != 0 {
					usedNet[i] = true
				}
			}
			if m := p.MissingNet(*o.Port, want); m != 0 {
				add("port "+strconv.Itoa(int(*o.Port)), Gap{What: "net", Port: *o.Port, MissingNet: m, Syscall: o.Syscall, Rule: -1}, o.Exe)
			}
		case strings.HasPrefix(o.Path, "/"):
			pth := selfPath(path.Clean(o.Path), root, self)
			want := o.FS
			for _, i := range p.CoveringFS(pth) {
				if p.FS[i].Access&want != 0 {
					usedFS[i] = true
				}
			}
			if m := p.MissingFS(pth, want); m != 0 {
				add("fs "+pth, Gap{What: "fs", Path: o.Path, Missing: m, Syscall: o.Syscall, Rule: closestRule(p, pth)}, o.Exe)
			}
			if o.Src != "" && o.Dst != "" && path.Dir(o.Src) != path.Dir(o.Dst) && path.Clean(o.Path) == path.Dir(o.Dst) {
				rel := fileRights
				if want&policy.FSMakeDir != 0 {
					rel = p.Handled.FS
				}
				src := selfPath(path.Clean(o.Src), root, self)
				if g := p.AllowedFS(pth) & rel &^ p.AllowedFS(src); g != 0 {
					add("move "+src+" "+pth, Gap{What: "move", Path: o.Src, Dst: path.Clean(o.Path), Missing: g, Syscall: o.Syscall,
						Rule: closestRule(p, path.Dir(src))}, o.Exe)
				}
			}
		}
	}
	keys := make([]string, 0, len(gaps))
	for k := range gaps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		res.Gaps = append(res.Gaps, *gaps[k])
	}
	// A group's members are one rule: used when any of them is.
	groupUsed := map[string]bool{}
	for i, r := range p.FS {
		if r.Group != "" && usedFS[i] {
			groupUsed[r.Group] = true
		}
	}
	for i, u := range usedFS {
		if !u && !groupUsed[p.FS[i].Group] {
			res.UnusedFS = append(res.UnusedFS, i)
		}
	}
	for i, u := range usedNet {
		if !u {
			res.UnusedNet = append(res.UnusedNet, i)
		}
	}
	return res
}

// selfPath maps /proc/ROOT/... to /proc/SELF/...
func selfPath(p, root, self string) string {
	if root != "" && (p == root || strings.HasPrefix(p, root+"/")) {
		return self + p[len(root):]
	}
	return p
}

// closestRule is the rule a fix for path most likely extends: the
// deepest rule covering it, else the one sharing the longest leading
// path, else -1.
func closestRule(p *policy.Policy, pth string) int {
	best, bestLen := -1, -1
	for _, i := range p.CoveringFS(pth) {
		if l := len(p.FS[i].Path); l > bestLen {
			best, bestLen = i, l
		}
	}
	if best >= 0 {
		return best
	}
	for i, r := range p.FS {
		l := commonDirLen(r.Path, pth)
		if l > 1 && l > bestLen {
			best, bestLen = i, l
		}
	}
	return best
}

// commonDirLen is the length of the longest common leading path of a and
// b, in whole components.
func commonDirLen(a, b string) int {
	n := 0
	for i := 0; i < len(a) && i < len(b) && a[i] == b[i]; i++ {
		if a[i] == '/' {
			n = i
		}
	}
	return n
}
