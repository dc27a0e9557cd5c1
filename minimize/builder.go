package minimize

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// dirOnly are the rights that only directories have.
var dirOnly = policy.DirOnlyRights()

// Builder minimizes observations as they stream in: memory grows with the
// number of distinct paths, executables and ports, not with the number of
// observations, so a million-line run fits in a few tens of megabytes.
// A Builder is not safe for concurrent use.
type Builder struct {
	o      Options
	tmpdir string
	// anchors are the variables' values (as given and symlink-resolved):
	// directories that exist before the run and get a ${NAME} of their
	// own, so their names are never generalized as random or pid names.
	anchors []string

	nodes    map[string]*node     // generalized path -> what it needed
	unstable map[string]bool      // created, replaced, moved or deleted -> pidFree
	moves    map[moveKey]*moveVal // renames and links between two parents
	net      map[uint16]*netNode
	scopes   map[string]*scopeNote
	warnings map[string]*warnNote
	raw      map[string]rawPath // distinct observed fs objects
	files    []string           // of them, the files (addFile)

	exeID   map[string]int32
	exeName []string
	// The last executable added, and its id: lines in a row mostly
	// come from one process.
	lastExe   string
	lastExeID int32
	// The last pid generalize looked for in a name, in decimal.
	lastPid     int
	lastPidText string
	// launchers are the executables that made a run's first
	// observation, an exec: landlearn's helper starting the program.
	launchers map[string]bool
	// runStarted is set once the current run's first observation is in.
	runStarted bool

	runRoot  int // pid of the current run's first process
	runs     int
	added    int
	relative int
	unknown  map[string]int
}

// node is what one (generalized) path needed. The fields every
// observation updates come first, in one cache line.
type node struct {
	access  policy.FSAccess
	count   int
	exes    exeSet
	dir     bool
	gen     string // why the path was generalized, "" if it was not
	path    string // the generalized path
	example string // smallest observed path, for a deterministic comment
	paths   int    // distinct observed paths that generalized to this one
}

// addFile records that the observed path p is not a directory: the
// report's FilesObserved counts it unless it is in /proc, /sys or /dev.
// Here rather than in Policy, which would look at every path again, at
// the end, where the cores have nothing else to do.
func (b *Builder) addFile(p string) {
	if !pseudo(p) {
		b.files = append(b.files, p)
	}
}

// rawPath is an observed path's node, and why it generalized to it, as
// worked out for the pid and run that saw it last: generalizing /proc/N
// or a name holding a pid depends on both. It is small: a million
// observations look one up each.
type rawPath struct {
	n   *node
	pid int
	run int32
	why genReason
	// file is set once the path was seen as a non-directory.
	file bool
	// pidFree(path): the node holds for any pid.
	pidFree bool
}

type moveKey struct {
	src, dstDir string
}

type moveVal struct {
	dir  bool // the moved entry is a directory
	link bool
	dst  string
}

type netNode struct {
	access policy.NetAccess
	count  int
	exes   exeSet
}

type scopeNote struct {
	count  int
	exes   exeSet
	target string
}

type warnNote struct {
	count int
	exes  exeSet
}

// New returns a Builder for opts.
func New(opts Options) *Builder {
	return &Builder{
		o:         opts,
		tmpdir:    path.Clean(opts.Vars["TMPDIR"]),
		anchors:   anchorDirs(opts.Vars),
		nodes:     map[string]*node{},
		unstable:  map[string]bool{},
		moves:     map[moveKey]*moveVal{},
		net:       map[uint16]*netNode{},
		scopes:    map[string]*scopeNote{},
		warnings:  map[string]*warnNote{},
		raw:       map[string]rawPath{},
		exeID:     map[string]int32{},
		launchers: map[string]bool{},
		unknown:   map[string]int{},
	}
}

// StartRun tells the Builder that the next observations come from
// another run (another JSONL file). Pids are only meaningful within one
// run: the first observation of a run names its root process, whose
// /proc/PID is /proc/self when enforced.
func (b *Builder) StartRun() {
	b.runRoot = 0
	b.runStarted = false
	b.runs++
}

// launcherOf is the program that started a run whose first observation
// is o: the exe of its exec (landlearn's helper, or the program's own
// launcher), "" when o is no exec or an exe that execs itself (the
// program, in a recording that names the new image).
func launcherOf(o *learn.Observation) string {
	if (o.Syscall == "execve" || o.Syscall == "execveat") && o.Exe != o.Path {
		return o.Exe
	}
	return ""
}

// Add records one observation.
func (b *Builder) Add(o learn.Observation) { b.add(&o) }

func (b *Builder) add(o *learn.Observation) {
	b.added++
	if b.runRoot == 0 && o.PID > 0 {
		b.runRoot = o.PID
	}
	if !b.runStarted {
		b.runStarted = true
		if l := launcherOf(o); l != "" {
			b.launchers[l] = true
		}
	}
	switch {
	case o.Warning != "":
		w := b.warnings[o.Warning]
		if w == nil {
			w = &warnNote{}
			b.warnings[o.Warning] = w
		}
		w.count++
		b.addExe(&w.exes, o.Exe)
	case o.Scope != "":
		s := b.scopes[o.Scope]
		if s == nil {
			s = &scopeNote{}
			b.scopes[o.Scope] = s
		}
		s.count++
		b.addExe(&s.exes, o.Exe)
		if t := targetText(o.Target); s.target == "" || t < s.target {
			s.target = t
		}
	case o.Port != nil:
		n := b.net[*o.Port]
		if n == nil {
			n = &netNode{}
			b.net[*o.Port] = n
		}
		n.access |= o.Net
		if o.FS != 0 || len(o.Unknown) > 0 {
			b.leftOut(o.Unknown, o.FS.Names())
		}
		n.count++
		b.addExe(&n.exes, o.Exe)
	case o.Path != "":
		b.addFS(o)
	}
}

func (b *Builder) addFS(o *learn.Observation) {
	if !strings.HasPrefix(o.Path, "/") {
		b.relative++
		return
	}
	access := o.FS
	if o.Net != 0 || len(o.Unknown) > 0 {
		b.leftOut(o.Unknown, o.Net.Names())
	}
	isFile := o.Type != learn.TypeDir && access&dirOnly == 0
	// The keys of raw are clean: a path found there is clean.
	p := o.Path
	seen, ok := b.raw[p]
	if !ok && !policy.IsClean(p) {
		p = path.Clean(p)
		seen, ok = b.raw[p]
	}
	n, why := seen.n, seen.why
	kept := false // p is a copy, which the Builder may keep
	if ok && isFile && !seen.file {
		seen.file = true
		p, kept = own(p), true
		b.raw[p] = seen // an assignment replaces the key too
		b.addFile(p)
	}
	if !ok || (seen.pid != o.PID || seen.run != int32(b.runs)) && !seen.pidFree {
		if !kept {
			p = own(p) // kept below, as keys and examples
		}
		var g string
		g, why = b.generalize(p, o.PID)
		n = b.nodes[g]
		if n == nil {
			n = &node{path: g, example: p}
			b.nodes[g] = n
		}
		if !ok {
			n.paths++
			n.example = betterExample(n.example, p, g)
			if isFile {
				b.addFile(p)
			}
		}
		b.raw[p] = rawPath{n, o.PID, int32(b.runs), why, seen.file || isFile, b.pidFree(p)}
	}
	n.access |= access
	n.count++
	if o.Exe != "" {
		b.addExe(&n.exes, o.Exe)
	}
	n.dir = n.dir || why != genNone || o.Type == learn.TypeDir || access&dirOnly != 0
	if why != genNone && (n.gen == "" || why.String() < n.gen) {
		n.gen = why.String()
	}
	g := n.path
	if why != genNone {
		g = "" // generalized: the directory is not what was created
	}

	// Rule 3: which paths will not be there when the sandbox starts.
	// `created` and `deleted` describe the object of the line: Path, or,
	// on the parent's line of a make, remove or move, the entry named by
	// dst or src (the tracer's make lines say created with dst = the new
	// entry; the audit backend's lines say created of the path itself).
	if (o.Created || o.Deleted) && o.Src == "" && o.Dst == "" && g != "" {
		b.addUnstable(g)
	}
	link := o.Syscall == "link" || o.Syscall == "linkat"
	if o.Dst != "" {
		b.markUnstable(o.Dst, o.PID)
	}
	if o.Src != "" && !link {
		b.markUnstable(o.Src, o.PID)
	}
	// Rule 5: remember moves between two parents.
	if o.Src != "" && o.Dst != "" && strings.HasPrefix(o.Src, "/") && strings.HasPrefix(o.Dst, "/") {
		src, dst := o.Src, o.Dst
		if !policy.IsClean(src) {
			src = path.Clean(src)
		}
		if !policy.IsClean(dst) {
			dst = path.Clean(dst)
		}
		if sd, dd := cleanDir(src), cleanDir(dst); sd != dd {
			switch p {
			case sd:
				b.addMove(src, dd, dst, link, access&policy.FSRemoveDir != 0)
				// RENAME_EXCHANGE: the source parent also makes the
				// destination's entry, which moves the other way.
				if access&policy.FSMake != 0 {
					b.addMove(dst, sd, src, false, access&policy.FSMakeDir != 0)
				}
			case dd:
				b.addMove(src, dd, dst, link, access&policy.FSMakeDir != 0)
			}
		}
	}
}

func (b *Builder) addMove(src, dstDir, dst string, link, dir bool) {
	k := moveKey{src, dstDir}
	m := b.moves[k]
	if m == nil {
		m = &moveVal{dst: own(dst), link: link}
		b.moves[moveKey{own(src), own(dstDir)}] = m
	}
	if dst < m.dst {
		m.dst = own(dst) // same name, unless a hard link: keep one, the same one in any order
	}
	m.link = m.link || link
	m.dir = m.dir || dir
}

// addUnstable records that the fs object g will not be there when the
// sandbox starts.
func (b *Builder) addUnstable(g string) {
	if _, ok := b.unstable[g]; !ok {
		b.unstable[own(g)] = b.pidFree(g)
	}
}

// own returns a copy of s, for a string the Builder keeps: the paths of
// ReadRun's observations share the learn.Reader's buffers, which hold
// later lines once the observation is added.
func own(s string) string { return strings.Clone(s) }

// cleanDir is path.Dir of an absolute, clean path, without cleaning it
// again: every rename line asks it twice.
func cleanDir(p string) string {
	return p[:max(strings.LastIndexByte(p, '/'), 1)]
}

// pidFree reports whether generalize's answer for p cannot depend on
// the pid: p is not in /proc, and not in a runtime directory (where a
// name may hold the pid) or without a run of three digits or more that
// could be a pid. Such a path's node is found from the path alone, and
// lib311.so, read by a thousand processes, is generalized once.
func (b *Builder) pidFree(p string) bool {
	if strings.HasPrefix(p, "/proc/") {
		return false
	}
	if !b.inRuntimeDir(p) {
		return true
	}
	run := 0
	for i := 0; i < len(p); i++ {
		if isDigit(p[i]) {
			if run++; run >= 3 {
				return false
			}
		} else {
			run = 0
		}
	}
	return true
}

// markUnstable records that the entry p was created, replaced or moved
// away. A path that generalizes to its directory is left alone: the
// directory stands for every such name and exists before the run.
func (b *Builder) markUnstable(p string, pid int) {
	if !strings.HasPrefix(p, "/") {
		return
	}
	// The keys of unstable and raw are clean: a path found there is
	// clean. A pid-free path generalizes to itself or to a directory,
	// whatever the pid: one already marked, or observed, needs no
	// generalizing again.
	pidFree, marked := b.unstable[p]
	if !marked && !policy.IsClean(p) {
		p = path.Clean(p)
		pidFree, marked = b.unstable[p]
	}
	if marked && pidFree {
		return
	}
	if seen, ok := b.raw[p]; ok && seen.pidFree {
		if seen.why == genNone {
			b.addUnstable(seen.n.path)
		}
		return
	}
	if g, why := b.generalize(p, pid); why == genNone {
		b.addUnstable(g)
	}
}

// leftOut counts right names that minimization leaves out, to report
// them: unknown names (a newer tracer may know rights this minimizer
// does not, and the user must hear about it) and the rights of the other
// kind on the line (fs rights on a port, net rights on a path).
func (b *Builder) leftOut(unknown, otherKind []string) {
	for _, n := range unknown {
		b.unknown[n]++
	}
	for _, n := range otherKind {
		b.unknown[n]++
	}
}

// addExe adds exe to s.
func (b *Builder) addExe(s *exeSet, exe string) {
	if exe == "" {
		return
	}
	if exe != b.lastExe {
		b.lastExe, b.lastExeID = exe, b.exeIDOf(exe)
	}
	s.add(b.lastExeID)
}

func (b *Builder) exeIDOf(exe string) int32 {
	if len(b.exeName) <= 16 {
		// A run has a few executables, and the decoder interns them:
		// comparing is cheaper than hashing.
		for i, e := range b.exeName {
			if e == exe {
				return int32(i)
			}
		}
	}
	id, ok := b.exeID[exe]
	if !ok {
		id = int32(len(b.exeName))
		b.exeID[exe] = id
		b.exeName = append(b.exeName, exe)
	}
	return id
}

func targetText(t any) string {
	switch v := t.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(t)
}
