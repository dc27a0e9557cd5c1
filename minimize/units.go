package minimize

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

// A data unit is a directory the program treats as a whole: it was named
// on the command line (tar czf out.tgz src, cp -r in out, --directory
// site), declared as data when learning (learn --data DIR), it is the
// working directory, a source tree (.git) the run listed (git add -A), or
// the run used most of what it holds. Such a directory gets one rule with the
// read rights used beneath it, so that the next run, on new files of the
// same shape (a file added to src, a new subdirectory), works too.
//
// "Most" is the threshold: more than half of the directory's entries
// were used (read, listed, or held something that was), and either the
// run listed the directory or used at least two of them. 12 of 12 entries
// read is a unit; 2 of 1,000 is not; a single file read by name in a
// directory of one is not, unless the directory was listed. It applies
// from the bottom up: a subdirectory counts as used when anything beneath
// it was, and a unit inside a unit is absorbed by it.
//
// Units carry read rights only (read_file, read_dir, execute): a write
// stays on its file, or on the directory Landlock forces for a file the
// run created. A unit is never a sensitive tree or inside one, never
// ${HOME}, ${TMPDIR} or anything above ${HOME} or ${PWD} (${PWD} itself
// can be a unit), never a top-level directory, never inside a system
// tree (system files are their group's).
func (b *Builder) units(nodes map[string]*node, rules map[string]*rule) {
	cands := map[string]*cand{}
	candOf := func(name, concrete string, run int) *cand {
		c := cands[name]
		if c == nil {
			c = &cand{name: name, concrete: concrete, run: run, files: map[string]bool{}, dirs: map[string]bool{}}
			cands[name] = c
		}
		return c
	}
	var inputs []*node
	for _, n := range nodes {
		if n.class != classPlain || n.gen != "" || n.flags&unstable != 0 || n.access&readRights == 0 {
			continue
		}
		inputs = append(inputs, n)
	}
	// In run order, so that a directory's path is the first run's
	// whichever order the map gives (the walk below stops early).
	sort.Slice(inputs, func(i, j int) bool {
		if inputs[i].run != inputs[j].run {
			return inputs[i].run < inputs[j].run
		}
		return inputs[i].concrete < inputs[j].concrete
	})
	for _, n := range inputs {
		if n.access&policy.FSReadDir != 0 {
			candOf(n.name, n.concrete, n.run).listed = true
		}
		// Each directory above n learns which of its entries leads to
		// n. Once an entry is known, the directories above it already
		// know the way from an earlier input: the walk stops there.
		child, isDir := n.name, n.access&policy.FSReadDir != 0 || n.flags&fDir != 0
		concrete := n.concrete
		for a := parentName(n.name); a != ""; a = parentName(a) {
			concrete = path.Dir(concrete)
			c := candOf(a, concrete, n.run)
			seen := c.dirs
			if !isDir {
				seen = c.files
			}
			if seen[child] {
				break
			}
			seen[child] = true
			child, isDir = a, true
		}
	}
	named := b.namedDirs()
	for name, why := range b.sourceTrees(cands) {
		if named[name] == "" {
			named[name] = why
		}
	}
	order := make([]*cand, 0, len(cands))
	for _, c := range cands {
		order = append(order, c)
	}
	// Deepest first, then by name, so that a subdirectory is decided
	// before the directory that holds it.
	sort.Slice(order, func(i, j int) bool {
		di, dj := strings.Count(order[i].name, "/"), strings.Count(order[j].name, "/")
		if di != dj {
			return di > dj
		}
		return order[i].name < order[j].name
	})
	unit := map[string]string{} // name -> why
	// mostly are the directories the run mostly used: they count as used
	// entries of their parent. A named directory that the run used only
	// in part does not: naming src says nothing of what else ${PWD} holds.
	mostly := map[string]bool{}
	sens, system, guard := b.sensitive(), systemTreesHere(b.o.Root), b.guard()
	for _, c := range order {
		if !b.unitAllowed(c.name, c.concrete, sens, system, guard) {
			continue
		}
		used := len(c.files)
		for d := range c.dirs {
			if mostly[d] {
				used++
			}
		}
		entries := b.entries(c.concrete)
		// Listed and one entry used is a unit only when that entry is a
		// file: a listing and a walk into the one subdirectory (Python
		// lists its working directory to import, then serves site/) says
		// nothing of the directory's other files.
		if entries > 0 && (used >= 2 || c.listed && len(c.files) >= 1) && 2*used > entries {
			mostly[c.name] = true
			verb := "used"
			if c.listed {
				verb = "listed it and used"
			}
			unit[c.name] = fmt.Sprintf("the run %s %d of its %d entries", verb, used, entries)
		}
		if why, ok := named[c.name]; ok && len(c.files)+len(c.dirs) > 0 {
			unit[c.name] = why
		}
	}
	for name, why := range unit {
		absorbed := false
		ancestorsByName(name, false, func(a string) { absorbed = absorbed || unit[a] != "" })
		if absorbed {
			continue
		}
		u := &rule{name: name, dir: true, unit: why}
		prefix := name + "/"
		for _, n := range inputs {
			if n.name != name && !strings.HasPrefix(n.name, prefix) {
				continue
			}
			if u.concrete == "" {
				u.concrete = concreteAncestor(n.name, n.concrete, name)
			}
			u.access |= n.access & readRights
			u.count += n.count
			u.exes.addAll(n.exes)
			u.paths += n.paths
			u.example = betterExample(u.example, n.example, name)
			if r := rules[n.name]; r != nil {
				r.access &^= readRights
				r.observed &^= readRights
				if r.access == 0 {
					delete(rules, n.name)
				}
			}
		}
		u.access &= b.handledFS()
		if r := rules[name]; r != nil {
			r.access |= u.access
			r.observed |= u.access
			r.dir, r.unit = true, why
			r.count += u.count
			r.exes.addAll(u.exes)
			r.paths += u.paths
			r.example = betterExample(r.example, u.example, name)
			continue
		}
		u.observed = u.access
		rules[name] = u
	}
}

// vcsDirs mark the root of a source tree.
var vcsDirs = []string{".git", ".hg", ".svn", ".jj"}

// sourceTrees are the working directories that are source trees (they
// hold .git, .hg...) and that their run listed: a program that lists a
// checkout (git add -A, git status) reads whichever of its files changed
// since, which the next run will not be the same ones.
func (b *Builder) sourceTrees(cands map[string]*cand) map[string]string {
	out := map[string]string{}
	for _, r := range b.runs {
		pwd := r.vars["PWD"]
		if pwd == "" {
			continue
		}
		name := r.vars.Abstracter()(path.Clean(pwd))
		if c := cands[name]; c == nil || !c.listed {
			continue
		}
		for _, v := range vcsDirs {
			if st, err := os.Stat(b.o.Root + path.Join(pwd, v)); err == nil && st.IsDir() {
				out[name] = fmt.Sprintf("the working directory is a source tree (it holds %s) that the run listed", v)
				break
			}
		}
	}
	return out
}

// cand is a directory that may be a data unit.
type cand struct {
	name, concrete string
	run            int
	files          map[string]bool // names of the files used directly in it
	dirs           map[string]bool // names of its subdirectories that hold inputs
	listed         bool
}

// parentName is the directory above name, by name ("${PWD}/a" is in
// "${PWD}", "/a" in "/"), or "" above a variable's root and "/", which
// are never units.
func parentName(name string) string {
	i := strings.LastIndexByte(name, '/')
	if i <= 0 {
		return ""
	}
	return name[:i]
}

// handledFS is the fs rights the policy handles.
func (b *Builder) handledFS() policy.FSAccess { return policy.AllFS(b.o.abi()) }

// unitAllowed reports whether the directory name, d on the learning
// host, may be a data unit: see units. A directory in a system tree may
// be one only within ${PWD} (a checkout in /usr/src): groups are split
// around it.
func (b *Builder) unitAllowed(name, d string, sens sensitiveSet, system []string, g guard) bool {
	if strings.Count(d, "/") < 2 {
		return false // "/", "/srv": a top-level directory is never a unit
	}
	if !b.o.AllowSensitive && (sens.inTree(d) || sens.inTree(name) || sens.holds(d) != "" || sens.holds(name) != "") {
		return false
	}
	if !g.unit(d) {
		return false
	}
	if d == "/run" || b.facts.sharedDir(d) {
		return false // other programs' files are there too (mode 1777)
	}
	if g.inPWD(d) {
		return true
	}
	for _, t := range system {
		if beneath(d, t) {
			return false
		}
	}
	return true
}

// systemTreesHere are the members of the system group on the learning
// host, with no anchor to split around: a directory in them is system.
func systemTreesHere(root string) []string {
	g, _ := policy.LookupGroup("system")
	return g.Members(policy.Host{Root: root}, nil)
}

// entries counts what the directory d holds now, or 0 if it cannot be
// read (a run learned elsewhere): then only a named directory is a unit.
func (b *Builder) entries(d string) int {
	f, err := os.Open(b.o.Root + d)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	for {
		names, err := f.Readdirnames(1024)
		n += len(names)
		if err != nil {
			return n
		}
	}
}

// namedDirs are the directories the runs' command lines name, and those
// declared as data, by name, with why they are units. An argument names
// a directory when it is one (relative to the run's working directory),
// or when a word of it is, split at spaces and "=" (sh -c 'find /srv/x',
// --directory=site).
func (b *Builder) namedDirs() map[string]string {
	out := map[string]string{}
	for _, r := range b.runs {
		h := r.header
		if h == nil {
			continue
		}
		abstract := r.vars.Abstracter()
		add := func(p, why string) {
			if !filepath.IsAbs(p) {
				if h.Cwd == "" {
					return
				}
				p = filepath.Join(h.Cwd, p)
			}
			p = filepath.Clean(p)
			if st, err := os.Stat(b.o.Root + p); err != nil || !st.IsDir() {
				return
			}
			if name := abstract(p); out[name] == "" {
				out[name] = why
			}
		}
		for _, d := range h.Data {
			add(d, "declared as data when learning (--data)")
		}
		for i, arg := range h.Argv {
			if i == 0 {
				continue
			}
			for _, w := range strings.FieldsFunc(arg, func(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '=' }) {
				if w != "" && !strings.HasPrefix(w, "-") {
					add(w, fmt.Sprintf("named on the command line (%s)", w))
				}
			}
		}
	}
	return out
}
