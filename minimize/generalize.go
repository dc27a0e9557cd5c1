package minimize

import (
	"fmt"
	"iter"
	"os"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

// rule is a grant being generalized and assembled, with what it came
// from, for its comment.
type rule struct {
	// name is the path the rule grants, with variables; concrete is the
	// same path on the learning host.
	name, concrete string
	access         policy.FSAccess
	observed       policy.FSAccess // before widening for renames and reruns
	dir            bool
	count          int
	exes           exeSet
	example        string // an observed path, abstracted
	paths          int    // distinct observed paths behind the rule
	lifted         int    // of them, created/replaced/deleted during the run
	gens           []string
	collapse       int    // sibling file rules collapsed into it
	unit           string // why it is a data unit, "" if it is not
	runtime        bool   // a language runtime's install tree
	rerun          policy.FSAccess
	rerunExample   string   // a created file a rerun replaces
	widened        []string // rename/link widenings, for the comment
	covered        policy.FSAccess
	// withheld are the write rights the run used on other processes'
	// /proc/PID, which a rule on /proc would grant on every process.
	withheld        policy.FSAccess
	withheldExample string
	// leftDirs are directories the run made that are still there: a
	// rerun finds them.
	leftDirs []string
	// rerunShared is a file the run made and left in a directory
	// others share (hostFacts.sharedDir), whose rerun rights are not
	// granted there.
	rerunShared string
}

// groupRule is a group's grant being assembled.
type groupRule struct {
	access policy.FSAccess
	count  int
	exes   exeSet
	// executed and read are examples of what the runs did there.
	executed, read []string
	paths          int
}

// generalized is the output of generalize: the rules, by name, and the
// groups' rules, by group.
type generalized struct {
	rules  map[string]*rule
	groups map[string]*groupRule
	// prefixes are the groups' members on the learning host (the first
	// run's), to see which rules a group covers.
	prefixes []groupPrefix
	// unstable are the names that will not be there when the sandbox
	// starts (rule 3).
	unstable map[string]bool
	// covered counts, by group, the rules the group made unneeded.
	covered map[string]int
}

// generalize is the third stage: from the classified items it makes the
// rules, each as wide as its class allows and no wider:
//
//   - system files go to their group's rule, language runtimes to one
//     rule at their install root;
//   - objects created, replaced or deleted during the run go to their
//     nearest directory that existed before it (rule 3), with what a
//     rerun needs to replace what this run created;
//   - a directory the run treats as a unit becomes one rule with the
//     read rights used beneath it (units);
//   - siblings collapse above Options.Collapse (rule 6);
//   - renames and links between directories widen their source so that
//     the kernel does not answer EXDEV (rule 5);
//   - rights a parent's rule or a group already grants are dropped
//     (rule 9).
//
// Rights never change kind: a generalized rule carries only the read
// rights (read_file, read_dir, execute) the runs used beneath it;
// writes stay on their file, or on the directory Landlock forces for a
// created file. No generalization reaches into a sensitive tree, above
// ${HOME} or above ${PWD}, and each says so in its rule's comment.
func (b *Builder) generalize(items iter.Seq[item], handled policy.FSAccess, rep *Report) *generalized {
	g := &generalized{rules: make(map[string]*rule, len(b.objects)), groups: map[string]*groupRule{}}
	if len(b.runs) > 0 && !b.o.Exact {
		g.prefixes = groupPrefixes(policy.Host{Root: b.o.Root}, b.runs[0].vars)
	}
	nodes := b.nodes(items, g, handled)
	g.unstable = map[string]bool{}
	for name, n := range nodes {
		if n.flags&unstable != 0 && n.gen == "" {
			g.unstable[name] = true
		}
	}
	b.lift(nodes, g.rules, g.unstable, handled)
	if !b.o.Exact {
		b.units(nodes, g.rules)
	}
	b.collapse(g.rules)
	b.checkMoves(g, handled, rep)
	rep.Dropped = g.dropCovered()
	return g
}

// node is what the runs did at one name, before it becomes a rule.
type node struct {
	name, concrete string
	access         policy.FSAccess
	count          int
	exes           exeSet
	flags          objFlags
	dir            bool
	gen            string
	example        string
	paths          int
	run            int
	class          class
	root           string // classRuntime
	concreteRoot   string
}

// nodes merges the items of each name, and hands system items to their
// group's rule.
func (b *Builder) nodes(items iter.Seq[item], g *generalized, handled policy.FSAccess) map[string]*node {
	nodes := make(map[string]*node, len(b.objects))
	for it := range items {
		if it.class == classGroup {
			gr := g.groups[it.group]
			if gr == nil {
				gr = &groupRule{}
				g.groups[it.group] = gr
			}
			gr.access |= it.access & handled
			gr.count += it.count
			gr.exes.addAll(it.exes)
			gr.paths++
			if it.access&policy.FSExecute != 0 {
				gr.executed = append(gr.executed, it.observed)
			} else {
				gr.read = append(gr.read, it.observed)
			}
			continue
		}
		n := nodes[it.name]
		if n == nil {
			n = &node{name: it.name, concrete: it.concrete, run: it.run,
				class: it.class, root: it.root, concreteRoot: it.concreteRoot}
			nodes[it.name] = n
		}
		// A name several runs used keeps the first run's path (the
		// smallest of that run's): the same rule in any order.
		if it.run < n.run || it.run == n.run && it.concrete < n.concrete {
			n.concrete, n.run = it.concrete, it.run
		}
		n.access |= it.access
		n.count += it.count
		n.exes.addAll(it.exes)
		n.flags |= it.flags
		if it.flags&fSeen != 0 {
			n.paths++
			n.example = betterExample(n.example, it.observed, it.name)
		}
		n.dir = n.dir || it.gen != genNone || it.flags&fDir != 0
		if it.gen != genNone && (n.gen == "" || it.gen.String() < n.gen) {
			n.gen = it.gen.String()
		}
		switch {
		case it.class != classRuntime:
			n.class, n.root, n.concreteRoot = it.class, "", ""
		case n.class == classRuntime && (it.root < n.root || it.root == n.root && it.concreteRoot < n.concreteRoot):
			n.root, n.concreteRoot = it.root, it.concreteRoot
		}
	}
	return nodes
}

// liftTarget maps a name to the nearest ancestor that existed before the
// run and stays (rule 3): the parent of its highest created, replaced,
// moved or deleted ancestor, or the name itself.
func liftTarget(unstable map[string]bool, p string) string {
	if len(unstable) == 0 {
		return p
	}
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if unstable[p[:i]] {
				return path.Dir(p[:i])
			}
		}
	}
	return p
}

// concreteDir returns the concrete path of name's ancestor ancestor,
// given name's concrete path: the same number of components up.
func concreteAncestor(name, concrete, ancestor string) string {
	up := strings.Count(name[len(ancestor):], "/")
	for ; up > 0 && concrete != "/"; up-- {
		concrete = path.Dir(concrete)
	}
	return concrete
}

// lift groups the nodes into rules on names that exist when the sandbox
// starts (rule 3), keeping only handled rights, and gives a rule that
// holds a file the run created what a rerun needs: the next run finds
// that file and truncates it (open with O_TRUNC needs truncate on an
// existing file) or replaces it (a rename onto it, or making a symlink,
// fifo or socket again where one is left, needs remove_file);
// --exact leaves that out. Runtime nodes go to one rule at their install
// root.
func (b *Builder) lift(nodes map[string]*node, rules map[string]*rule, unstableNames map[string]bool, handled policy.FSAccess) {
	get := func(name, concrete string) *rule {
		r := rules[name]
		if r == nil {
			r = &rule{name: name, concrete: concrete}
			rules[name] = r
		}
		return r
	}
	for name, n := range nodes {
		if n.class == classRuntime && n.flags&unstable == 0 {
			r := get(n.root, n.concreteRoot)
			r.dir, r.runtime = true, true
			r.access |= n.access & handled & readRights
			r.count += n.count
			r.exes.addAll(n.exes)
			r.paths += n.paths
			r.example = betterExample(r.example, n.example, n.root)
			continue
		}
		t := liftTarget(unstableNames, name)
		r := get(t, concreteAncestor(name, n.concrete, t))
		access := n.access & handled
		if name == "/proc" && n.gen == genPid.String() && access&^readRights != 0 {
			// Another process's /proc/PID has no rule of its own:
			// only /proc covers it, and writing beneath /proc reaches
			// every process and /proc/sys. Reading is granted, writing
			// is withheld and warned about.
			r.withheld |= access &^ readRights
			r.withheldExample = n.example
			access &= readRights
		}
		r.access |= access
		r.dir = r.dir || n.dir || t != name
		r.count += n.count
		r.exes.addAll(n.exes)
		r.paths += n.paths
		r.example = betterExample(r.example, n.example, t)
		if t != name {
			r.lifted += n.paths
		}
		if n.gen != "" && !slices.Contains(r.gens, n.gen) {
			r.gens = append(r.gens, n.gen)
			sort.Strings(r.gens)
		}
		if path.Dir(name) == t && n.flags&fCreated != 0 && n.flags&fDir != 0 && b.stillThere(n) {
			r.leftDirs = append(r.leftDirs, name)
		}
		if !b.o.Exact && t != name && n.flags&fCreated != 0 && n.flags&fDir == 0 && b.stillThere(n) {
			var rerun policy.FSAccess
			if n.access&policy.FSWriteFile != 0 {
				rerun |= policy.FSTruncate
			}
			if n.flags&(fMovedIn|fSpecial) != 0 {
				rerun |= policy.FSRemoveFile
			}
			if rerun &= handled; rerun != 0 && b.facts.sharedDir(r.concrete) {
				// Not in a directory others share: truncating or
				// removing there reaches their files (an agent's socket).
				r.rerunShared = name
			} else if rerun != 0 {
				r.rerun |= rerun
				if r.rerunExample == "" || name < r.rerunExample {
					r.rerunExample = name
				}
			}
		}
	}
	for _, r := range rules {
		r.observed = r.access
		r.rerun &^= r.access // what the run used anyway is no rerun's
		r.access |= r.rerun
	}
}

// stillThere reports whether a file the run created is there after the
// run, so that a rerun in the same place finds it. A run recorded
// elsewhere, whose paths this host does not have, counts what it did
// not remove.
func (b *Builder) stillThere(n *node) bool {
	if n.flags&fRemoved != 0 && n.flags&fMovedIn == 0 {
		return false
	}
	r := b.runs[n.run]
	if r.header != nil && r.header.Cwd != "" {
		if _, err := os.Stat(b.o.Root + r.header.Cwd); err != nil {
			return true
		}
	}
	_, err := os.Lstat(b.o.Root + n.concrete)
	return err == nil
}

// betterExample picks a rule's example path deterministically: the
// smallest observed path that is not the rule's own path, since "e.g.
// /w/lock" tells a reviewer more about a rule on /w than "/w" does.
func betterExample(cur, cand, rulePath string) string {
	switch {
	case cand == "":
		return cur
	case cur == "" || cur == rulePath:
		return cand
	case cand == rulePath:
		return cur
	}
	return min(cur, cand)
}

// collapse merges the file rules of a directory into one rule on the
// directory when there are at least Options.Collapse of them (rule 6).
// Lifted and generalized rules are directory rules already.
//
// Only the read rights that at least Collapse of the files used go to
// the directory: 32 libraries read and one of them (ld.so) executed give
// read_file on the directory and execute on ld.so alone, not execute on
// every library. A file that used more keeps its rule for the rest;
// writes are never collapsed, so a directory rule never lets a program
// write a file it did not write.
func (b *Builder) collapse(rules map[string]*rule) {
	if b.o.Collapse <= 0 {
		return
	}
	sens, guard := b.sensitive(), b.guard()
	byDir := map[string][]*rule{}
	for _, r := range rules {
		if !r.dir && r.name != "/" && strings.Contains(r.name, "/") {
			d := path.Dir(r.name)
			byDir[d] = append(byDir[d], r)
		}
	}
	for d, files := range byDir {
		concrete := path.Dir(files[0].concrete)
		if len(files) < b.o.Collapse || guard.above(concrete) ||
			(!b.o.AllowSensitive && (sens.inTree(concrete) || sens.inTree(d) || sens.holds(concrete) != "" || sens.holds(d) != "")) {
			continue
		}
		var common policy.FSAccess
		for bit := range policy.AllFS(policy.NewestABI).Each() {
			n := 0
			for _, f := range files {
				if f.access&bit != 0 {
					n++
				}
			}
			if n >= b.o.Collapse {
				common |= bit
			}
		}
		// Only reading is collapsed: a write stays on the files that
		// were written, as a unit's does.
		if common &= readRights; common == 0 {
			continue
		}
		t := rules[d]
		if t == nil {
			t = &rule{name: d, concrete: concrete, example: files[0].example}
			rules[d] = t
		}
		t.dir = true
		t.access |= common
		t.observed |= common
		for _, f := range files {
			if f.access&common == 0 {
				continue
			}
			t.count += f.count
			t.exes.addAll(f.exes)
			t.paths += f.paths
			t.collapse++
			t.example = betterExample(t.example, f.example, d)
			if f.access&^common == 0 {
				delete(rules, f.name)
			}
		}
	}
}

// sensitive is the sensitive set of every run's ${HOME}, and of the
// other homes of the learning host.
func (b *Builder) sensitive() sensitiveSet {
	homes := []string{b.o.Vars["HOME"]}
	if len(b.runs) > 0 {
		homes = homes[:0]
		for _, r := range b.runs {
			homes = append(homes, r.vars["HOME"])
		}
	}
	if b.userHomes == nil {
		b.userHomes = userHomes(b.o.Root)
	}
	return newSensitiveSet(b.userHomes, homes...)
}

// ancestorsByName calls f with each name that is an ancestor of name, or
// name itself when self, as Landlock adds rules up a path: "/" covers
// every name, and ${PWD}/a/b has ${PWD}/a and ${PWD} above it, never what
// ${PWD} is on this host.
func ancestorsByName(name string, self bool, f func(string)) {
	if self {
		f(name)
	}
	for q := name; ; {
		i := strings.LastIndexByte(q, '/')
		if i <= 0 {
			break
		}
		q = q[:i]
		f(q)
	}
	if name != "/" {
		f("/")
	}
}

// allowedByName is what the rules allow on name wherever the policy is
// used: the union of the rules on name (when self) and its ancestors by
// name, and of the groups that hold it.
func (g *generalized) allowedByName(name string, self bool) policy.FSAccess {
	var a policy.FSAccess
	ancestorsByName(name, self, func(q string) {
		if r := g.rules[q]; r != nil {
			a |= r.access
		}
	})
	return a | g.groupAccess(name)
}

// allowedHere is what the rules allow on the concrete path p on the
// learning host, where a ${TMPDIR} rule may hold ${PWD}.
func (g *generalized) allowedHere(p string) policy.FSAccess {
	var a policy.FSAccess
	for _, r := range g.rules {
		if beneath(p, r.concrete) || r.concrete == "/" {
			a |= r.access
		}
	}
	return a | g.groupAccess(p)
}

// groupOf is the group whose member holds the absolute path p, or "".
func (g *generalized) groupOf(p string) string {
	for _, gp := range g.prefixes {
		if g.groups[gp.group] != nil && beneath(p, gp.prefix) {
			return gp.group
		}
	}
	return ""
}

// coveredBy is how many rules group made unneeded.
func (g *generalized) coveredBy(group string) int { return g.covered[group] }

// groupAccess is what the groups grant on an absolute path.
func (g *generalized) groupAccess(p string) policy.FSAccess {
	if !strings.HasPrefix(p, "/") {
		return 0
	}
	var a policy.FSAccess
	for _, gp := range g.prefixes {
		if gr := g.groups[gp.group]; gr != nil && beneath(p, gp.prefix) {
			a |= gr.access
		}
	}
	return a
}

// checkMoves applies rule 5. Between two directories the kernel lets a
// rename or link through only if the moved object gains no right at the
// destination: what the policy allows beneath the destination directory
// must be a subset of what it allows on the object at the source (rules
// on the source directory, its ancestors and the object itself). File
// rights count for a file; every right counts for a directory. Where the
// destination gives more, the source directory's rule is widened, since
// narrowing the destination would deny what the run did. Widening one
// rule can matter to another move, so this runs to a fixed point.
//
// The gain is computed twice: as this host enforces the policy, and by
// names, as it applies wherever it is used. Here a ${TMPDIR} rule above a
// ${PWD} under /tmp adds the same rights to both sides and hides a gain
// that another checkout would see (EXDEV there).
func (b *Builder) checkMoves(g *generalized, handled policy.FSAccess, rep *Report) {
	if len(b.moves) == 0 {
		return
	}
	type move struct {
		src, srcName, dstDir, dstDirName, dstName string
		m                                         *moveVal
	}
	abstract := policy.Vars(nil).Abstracter()
	if len(b.runs) > 0 {
		abstract = b.runs[0].vars.Abstracter()
	}
	var moves []move
	for k, m := range b.moves {
		moves = append(moves, move{k.src, abstract(k.src), k.dstDir, abstract(k.dstDir), abstract(m.dst), m})
	}
	sort.Slice(moves, func(i, j int) bool {
		if moves[i].src != moves[j].src {
			return moves[i].src < moves[j].src
		}
		return moves[i].dstDir < moves[j].dstDir
	})
	fileRights := policy.FileRights() & handled
	for changed := true; changed; {
		changed = false
		for _, mv := range moves {
			rel := fileRights
			if mv.m.dir {
				rel = handled
			}
			gain := (g.allowedHere(mv.dstDir)&^g.allowedHere(mv.src) |
				g.allowedByName(mv.dstDirName, true)&^g.allowedByName(mv.srcName, true)) & rel
			if gain == 0 {
				continue
			}
			t := liftTarget(g.unstable, path.Dir(mv.srcName))
			r := g.rules[t]
			if r == nil {
				r = &rule{name: t, concrete: concreteAncestor(mv.srcName, mv.src, t), dir: true, example: mv.srcName}
				g.rules[t] = r
			}
			r.access |= gain
			verb := "moving"
			if mv.m.link {
				verb = "linking"
			}
			msg := fmt.Sprintf("widened by %s so that %s %s to %s does not fail with EXDEV (the kernel refuses to let a moved object gain rights)",
				gain, verb, mv.srcName, mv.dstName)
			r.widened = append(r.widened, msg)
			rep.Notes = append(rep.Notes, t+": "+msg)
			changed = true
		}
	}
}

// dropCovered applies rule 9: a rule loses the rights that rules on its
// ancestors (by name, so wherever the policy is used) and the groups
// already grant, and a rule left with none is dropped. It returns how
// many rules it dropped. Every rule is trimmed against the rules as they
// were: trimming an ancestor only removes what its own ancestors grant,
// so what any path is allowed does not change.
func (g *generalized) dropCovered() int {
	trim := map[string]policy.FSAccess{}
	g.covered = map[string]int{}
	for name, r := range g.rules {
		if name == "/" {
			continue
		}
		if t := r.access & g.allowedByName(name, false); t != 0 || r.access == 0 {
			trim[name] = t
			if grp := g.groupOf(name); grp != "" && r.access&^g.allowedByName(name, false) == 0 {
				g.covered[grp]++
			}
		}
	}
	dropped := 0
	for name, t := range trim {
		r := g.rules[name]
		r.access &^= t
		r.covered = t
		if r.access == 0 && r.withheld == 0 {
			delete(g.rules, name)
			dropped++
		}
	}
	return dropped
}
