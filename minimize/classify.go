package minimize

import (
	"iter"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

// class is what kind of object an item is, which decides the rule that
// is safe for it (the README's "How observations become a policy").
type class uint8

const (
	// classPlain objects get a rule of their own: data, configuration
	// the program probes, the program's own files.
	classPlain class = iota
	// classVarying objects are named by what varies from run to run
	// (a pid, a pty number, a mkstemp suffix): their name is the
	// directory that stands for every such name.
	classVarying
	// classGroup objects are system files, granted through a named
	// group resolved where the policy is enforced.
	classGroup
	// classRuntime objects belong to a language runtime's install tree
	// (pyenv, nvm, a virtualenv...), granted as one read-only tree.
	classRuntime
)

// readRights are the rights that only read: the only ones a generalized
// rule (group, runtime, data unit) may carry. Rights never change kind.
const readRights = policy.FSExecute | policy.FSReadFile | policy.FSReadDir

// item is an object as the policy will name it, the output of classify:
// its portable name (${PWD}/src/a, /proc/self/status), its class, and
// what the runs did with it.
type item struct {
	// name is the path the rule names, with variables.
	name string
	// concrete is the path on the learning host, for the facts that
	// generalize asks the file system (what a directory holds, whether a
	// created file is still there).
	concrete string
	class    class
	// group is the group of a classGroup item.
	group string
	// root and concreteRoot are the install root of a classRuntime item.
	root, concreteRoot string
	// gen says why name is a directory standing for varying names.
	gen genReason

	access policy.FSAccess
	count  int
	exes   exeSet
	flags  objFlags
	// observed is the path that was observed, abstracted, for comments.
	observed string
	// run is the index of the run the item comes from.
	run int
}

// classifier holds what classify works out once per run: the variables'
// abstraction and the groups' members on the learning host.
type classifier struct {
	b     *Builder
	facts *hostFacts
	sens  sensitiveSet
	// per run
	abstract []func(string) string
	groups   [][]groupPrefix
	homes    []string
	// stops are where a runtime's root search stops (see runtimeRoot):
	// every run's ${HOME}, ${PWD} and ${TMPDIR}, as given and resolved,
	// and the shared temp directories.
	stops []string
	// system are the system trees of the learning host.
	system []string
	// runtimeOf caches runtimeRoot by run and directory: every file of a
	// directory lies in the same install tree, or in none.
	runtimeOf map[runDir]string
}

type runDir struct {
	run int
	dir string
}

// groupPrefix is a path whose subtree belongs to a group.
type groupPrefix struct {
	prefix, group string
}

func newClassifier(b *Builder) *classifier {
	c := &classifier{b: b, facts: b.facts, sens: b.sensitive(), system: systemTreesHere(b.o.Root), runtimeOf: map[runDir]string{}}
	g := b.guard()
	// The shared temp directories are runtimeRoot's stops too
	// (hostFacts.sharedDir).
	c.stops = slices.Concat(g.homes, g.tmps, g.pwds)
	for _, r := range b.runs {
		c.abstract = append(c.abstract, r.vars.Abstracter())
		c.homes = append(c.homes, path.Clean(r.vars["HOME"]))
		var gp []groupPrefix
		if !b.o.Exact {
			gp = groupPrefixes(policy.Host{Root: b.o.Root}, r.vars)
		}
		c.groups = append(c.groups, gp)
	}
	return c
}

// groupPrefixes lists the members of every group on host h, and where
// those that are symlinks lead (the runs name resolved paths: /etc/
// resolv.conf is opened as /run/systemd/resolve/stub-resolv.conf).
func groupPrefixes(h policy.Host, v policy.Vars) []groupPrefix {
	anchors := anchorDirs(policy.Vars{"HOME": v["HOME"], "PWD": v["PWD"], "TMPDIR": v["TMPDIR"]})
	var out []groupPrefix
	for _, g := range policy.Groups() {
		for _, m := range g.Members(h, anchors) {
			out = append(out, groupPrefix{m, g.Name})
			if real, err := filepath.EvalSymlinks(h.Root + m); err == nil {
				if real = strings.TrimPrefix(real, h.Root); real != m && real != "" {
					out = append(out, groupPrefix{real, g.Name})
				}
			}
		}
	}
	return out
}

// classify is the second stage: it names every recorded object as the
// policy will (rule 7 for what varies from run to run, rule 8 for the
// variables) and puts it in a class, from facts rather than names alone.
// An object used by several runs gives an item per run, each named with
// that run's variables. Items are yielded as generalize takes them, in no
// particular order (everything generalize does with them is a union, a
// sum or a minimum), and are not kept.
func (b *Builder) classify() iter.Seq[item] {
	return func(yield func(item) bool) {
		c := newClassifier(b)
		var system []string // what to ask the package database about
		for _, o := range b.objects {
			if o.access != 0 && o.access&^readRights == 0 && o.flags&unstable == 0 && c.inSystemTree(o.path) {
				system = append(system, o.path)
			}
		}
		c.facts.askPackages(system)
		for _, o := range b.objects {
			for ri := range b.runs {
				if o.runs&runBit(ri) != 0 && !yield(c.item(o.path, o, ri)) {
					return
				}
			}
		}
	}
}

// item is the item that object o at path p stands for in run ri.
func (c *classifier) item(p string, o *object, ri int) item {
	abstract := c.abstract[ri]
	name, gen := nameOf(p, o, c.b.runs[ri])
	if gen == genNone && o.pidDependent {
		// A name that holds the pid of the process that made it
		// (app.12345.lock), read by another process: the next run
		// reads another name, like the process that made it.
		if pn := c.b.objects[relKey(o.path, relPidName)]; pn != nil && pn.runs&runBit(ri) != 0 {
			name, gen = pn.pidDir, genPid
		}
	}
	observed, dir := abstract(p), name
	if name == p {
		name = observed
	} else {
		name = abstract(name)
	}
	it := item{name: name, gen: gen, concrete: p, access: o.access, count: o.count, exes: o.exes,
		flags: o.flags, observed: observed, run: ri}
	if gen != genNone {
		// The directory that stands for the varying names, on this host.
		it.class, it.concrete = classVarying, dir
	} else {
		c.classOf(&it, ri)
	}
	return it
}

// nameOf applies rule 7: the name that stands for object o at path p in
// run r, as it will resolve when the policy is enforced, and why it is a
// directory standing for varying names when it is.
//
// /proc/PID/... becomes /proc/self/... only for the run's first process:
// `landlearn run` execs the program in place, so /proc/self resolved
// when the ruleset is built is that process's directory. A child's
// /proc/PID has another inode in every run, and only a rule on /proc
// covers it.
func nameOf(p string, o *object, r *run) (string, genReason) {
	switch {
	case o.flags&fProcSelf != 0:
		rest := strings.TrimPrefix(p, "/proc/")
		_, tail, _ := strings.Cut(rest, "/")
		if t, ok := strings.CutPrefix(tail, "task/"); ok && t != "" {
			return "/proc/self/task", genTid
		}
		if tail == "" {
			return "/proc/self", genNone
		}
		return "/proc/self/" + tail, genNone
	case o.flags&fProcOther != 0:
		return "/proc", genPid
	case o.flags&fPidName != 0:
		return o.pidDir, genPid
	}
	if rest, ok := strings.CutPrefix(p, "/dev/pts/"); ok {
		if _, ok := atoi(rest); ok {
			return "/dev/pts", genPty
		}
	}
	// A variable's directory (a mktemp'd ${PWD} such as
	// /tmp/ci-build.Q3xZ1a) existed before the run and stands for itself:
	// the variable, not a parent rule, keeps it portable. So does a file
	// with a random-looking name that the run neither made nor removed:
	// only what the run itself made has a name the next run changes.
	if o.flags&unstable != 0 && !isAnchor(r.anchors, p) {
		if dir, base := path.Split(p); looksMkstemp(base) {
			if dir = path.Clean(dir); isTempDir(dir, r.tmpdir) {
				return dir, genMkstemp
			}
		}
	}
	return p, genNone
}

// classOf puts a named item in its class: a group's when it is a system
// file that only was read, a runtime's when it lies in a language
// runtime's install tree and only was read, plain otherwise. --exact
// keeps every item plain.
func (c *classifier) classOf(it *item, ri int) {
	if c.b.o.Exact || it.access == 0 || it.access&^readRights != 0 || it.flags&unstable != 0 {
		return
	}
	p := it.concrete
	for _, g := range c.groups[ri] {
		if !strings.HasPrefix(it.name, "/") {
			break // a ${VAR} path is the user's, never the system's
		}
		if !beneath(p, g.prefix) {
			continue
		}
		ok := true
		switch g.group {
		case "system":
			ok = c.facts.systemFile(p)
		case "own-cgroup":
		default:
			ok = c.facts.rootOwnedReadOnly(p)
		}
		if ok {
			it.class, it.group = classGroup, g.group
			return
		}
		break
	}
	k := runDir{ri, path.Dir(p)}
	root, ok := c.runtimeOf[k]
	if !ok {
		root = runtimeRoot(c.facts, p, c.homes[ri], c.stops, c.system, c.made, c.sensitive)
		if root != "" && c.sensitive(root) {
			root = "" // never in a tree of secrets, nor one that holds any
		}
		c.runtimeOf[k] = root
	}
	if root != "" {
		it.class, it.root, it.concreteRoot = classRuntime, c.abstract[ri](root), root
	}
}

// sensitive reports whether a runtime root at d would be in a sensitive
// tree or hold a sensitive path, unless AllowSensitive.
func (c *classifier) sensitive(d string) bool {
	return !c.b.o.AllowSensitive && (c.sens.inTree(d) || c.sens.holds(d) != "")
}

// made reports whether a run made p (a file it created, or moved in).
func (c *classifier) made(p string) bool {
	o := c.b.objects[p]
	return o != nil && o.flags&(fCreated|fMovedIn) != 0
}

// inSystemTree reports whether p is beneath a system tree of the learning
// host.
func (c *classifier) inSystemTree(p string) bool {
	for _, t := range c.system {
		if beneath(p, t) {
			return true
		}
	}
	return false
}

// isTempDir reports whether d is a directory where programs make
// mkstemp files: /tmp, /var/tmp, /dev/shm or ${TMPDIR}.
func isTempDir(d, tmpdir string) bool {
	switch d {
	case "/tmp", "/var/tmp", "/dev/shm":
		return true
	}
	return d == tmpdir
}

// inRuntimeDir reports whether p is beneath a temp directory or /run,
// where per-process files live.
func inRuntimeDir(p, tmpdir string) bool {
	for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run", tmpdir} {
		if d != "" && d != "." && d != "/" && p != d && beneath(p, d) {
			return true
		}
	}
	return false
}

// isAnchor reports whether p is a variable's directory or one of its
// ancestors.
func isAnchor(anchors []string, p string) bool {
	for _, a := range anchors {
		if beneath(a, p) {
			return true
		}
	}
	return false
}
