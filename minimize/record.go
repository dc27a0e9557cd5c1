package minimize

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// dirOnly are the rights that only directories have.
var dirOnly = policy.DirOnlyRights()

// Builder is the first stage of minimization, record: it folds
// observations, as they stream in, into facts about each object the runs
// touched, keyed by the object's resolved path. Nothing is generalized
// here; classify, generalize and assemble work on these facts when
// Policy is called. Memory grows with the number of distinct paths,
// executables and ports, not with the number of observations, so a
// million-line run fits in a few tens of megabytes. A Builder is not
// safe for concurrent use.
type Builder struct {
	o Options

	runs    []*run
	objects map[string]*object   // resolved, clean path -> facts
	moves   map[moveKey]*moveVal // renames and links between two parents
	net     map[uint16]*netNode
	scopes  map[string]*scopeNote
	// warnings are the tracer's own warnings, by text.
	warnings map[string]*warnNote

	exeID   map[string]int32
	exeName []string
	// The last executable added, and its id: lines in a row mostly
	// come from one process.
	lastExe   string
	lastExeID int32
	// The last pid a name was searched for, in decimal.
	lastPid     int
	lastPidText string
	// launchers are the executables that made a run's first
	// observation, an exec: landlearn's helper starting the program.
	launchers map[string]bool

	added    int
	relative int
	unknown  map[string]int

	// userHomes are the people's homes of the learning host (see
	// userHomes), read once.
	userHomes []string
	// facts are the learning host's, read anew by each Policy.
	facts *hostFacts
}

// run is what the Builder knows of one learning run.
type run struct {
	// header is the run's own record of its command line, working
	// directory and variables; nil for a file written before headers
	// existed.
	header *learn.Header
	// vars are the header's variables, completed with Options.Vars for
	// those it lacks.
	vars policy.Vars
	// root is the pid of the run's first process, 0 until seen.
	root int
	// started is set once the run's first observation is in.
	started bool
	// tmpdir is ${TMPDIR}, cleaned.
	tmpdir string
	// anchors are the variables' directories, as given and
	// symlink-resolved: they exist before the run and are named by a
	// variable, so their names are never taken for random or pid names.
	anchors []string
}

// objFlags are the facts about an object that observations set.
type objFlags uint16

const (
	// fFile: seen as something other than a directory.
	fFile objFlags = 1 << iota
	// fDir: seen as a directory, or given a directory-only right.
	fDir
	// fCreated: made during the run (created, or the target of a
	// rename or link).
	fCreated
	// fRemoved: deleted during the run, or renamed away.
	fRemoved
	// fMovedIn: the target of a rename or link, which may have replaced
	// what was there.
	fMovedIn
	// fProcSelf: a /proc/PID path of the run's first process, read by
	// that process: /proc/self when enforced.
	fProcSelf
	// fProcOther: a /proc/PID path of another process, or read by
	// another: a different pid in every run.
	fProcOther
	// fPidName: a name holding the pid of the process that used it
	// (sh-thd.12345), in a runtime directory.
	fPidName
	// fSeen: a line of the run named the object as its path (not only
	// as the entry a make, remove or move named).
	fSeen
	// fSpecial: made as a symlink, fifo, socket or device, which a
	// rerun cannot make again over the one this run left: it removes it
	// first (ln -sf, a server's stale socket).
	fSpecial
)

// makeSpecial are the rights that make an entry that is not a regular
// file or a directory.
const makeSpecial = policy.FSMakeSym | policy.FSMakeFifo | policy.FSMakeSock | policy.FSMakeChar | policy.FSMakeBlock

// unstable are the flags of an object that will not be there, as it
// was, when the sandbox starts: a Landlock rule needs an inode then.
const unstable = fCreated | fRemoved | fMovedIn

// object is what the runs did with one fs object, as one relation of
// observer to path sees it (see relation). The fields every observation
// updates come first, in one cache line.
type object struct {
	access policy.FSAccess
	count  int
	exes   exeSet
	flags  objFlags
	// runs are the runs that used the object: a bit per run, the last
	// bit standing for every run from 63 on.
	runs uint64
	// path is the object's resolved, clean path.
	path string
	// pidDir is the directory of the name holding a pid (fPidName).
	pidDir string
	// For a path whose meaning depends on who used it: the observer
	// last seen, and the object that relation gave, so that the next
	// observation by the same process needs no look at the path.
	lastPid int
	lastRun int32
	lastRel *object
	// pidDependent: what the path means can depend on who used it.
	pidDependent bool
}

// relation is what a pid-dependent path is to the process that used it.
// A /proc/PID path is the run's own /proc/self when its first process
// reads it, and another process's otherwise; a name holding the
// observer's pid stands for its directory. Each relation is an object of
// its own, so that its rights stay apart.
type relation uint8

const (
	relNone relation = iota
	relProcSelf
	relProcOther
	relPidName
)

// relKey is the objects key of p seen through a relation.
func relKey(p string, rel relation) string {
	if rel == relNone {
		return p
	}
	return p + "\x00" + string(rune('0'+rel))
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
		objects:   map[string]*object{},
		moves:     map[moveKey]*moveVal{},
		net:       map[uint16]*netNode{},
		scopes:    map[string]*scopeNote{},
		warnings:  map[string]*warnNote{},
		exeID:     map[string]int32{},
		launchers: map[string]bool{},
		unknown:   map[string]int{},
	}
}

// StartRun tells the Builder that the next observations come from
// another run (another JSONL file, or the next header in one), described
// by h: its variables turn its paths into ${HOME}, ${PWD}... and its
// command line and data directories say which directories it treats as
// units. h is nil for a run recorded without a header, whose variables
// are then Options.Vars. Pids are only meaningful within one run: the
// run's first observation names its root process, whose /proc/PID is
// /proc/self when enforced. Observations added before any StartRun
// belong to a run without a header.
func (b *Builder) StartRun(h *learn.Header) {
	b.runs = append(b.runs, newRun(h, b.o.Vars))
}

// Command is the command line the runs' headers record, when every run
// recorded the same one; nil otherwise.
func (b *Builder) Command() []string {
	var argv []string
	for i, r := range b.runs {
		if r.header == nil || len(r.header.Argv) == 0 || i > 0 && !slices.Equal(argv, r.header.Argv) {
			return nil
		}
		argv = r.header.Argv
	}
	return argv
}

func newRun(h *learn.Header, fallback policy.Vars) *run {
	r := &run{header: h, vars: policy.Vars{}}
	for k, v := range fallback {
		r.vars[k] = v
	}
	if h != nil {
		for k, v := range h.Vars {
			r.vars[k] = v
		}
	}
	r.tmpdir = path.Clean(r.vars["TMPDIR"])
	r.anchors = anchorDirs(r.vars)
	return r
}

// current is the run observations are added to now.
func (b *Builder) current() *run {
	if len(b.runs) == 0 {
		b.StartRun(nil)
	}
	return b.runs[len(b.runs)-1]
}

// runBit is the bit of run i in object.runs.
func runBit(i int) uint64 { return 1 << min(i, 63) }

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
	// A path holding "${" would be read back as a variable: a warning,
	// not a rule (learn.PolicySafe), whatever the observations came from.
	if learn.HoldsVariable(o.Path) || learn.HoldsVariable(o.Src) || learn.HoldsVariable(o.Dst) {
		w := learn.PolicySafe(*o)
		o = &w
	}
	r := b.current()
	if r.root == 0 && o.PID > 0 {
		r.root = o.PID
	}
	if !r.started {
		r.started = true
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
		b.addFS(o, r)
	}
}

func (b *Builder) addFS(o *learn.Observation, r *run) {
	if !strings.HasPrefix(o.Path, "/") {
		b.relative++
		return
	}
	access := o.FS
	if o.Net != 0 || len(o.Unknown) > 0 {
		b.leftOut(o.Unknown, o.Net.Names())
	}
	flags := fFile | fSeen
	if o.Type == learn.TypeDir || access&dirOnly != 0 {
		flags = fDir | fSeen
	}
	// Rule 3 facts: what will not be there when the sandbox starts.
	// created and deleted describe the object of the line: Path, or, on
	// the parent's line of a make, remove or move, the entry named by
	// dst or src (the tracer's make lines say created with dst = the new
	// entry; the audit backend's lines say created of the path itself).
	if o.Src == "" && o.Dst == "" {
		if o.Created {
			flags |= fCreated
		}
		if o.Deleted {
			flags |= fRemoved
		}
	}
	n := b.object(o.Path, o.PID, r)
	n.access |= access
	n.count++
	n.flags |= flags
	if o.Exe != "" {
		b.addExe(&n.exes, o.Exe)
	}

	link := o.Syscall == "link" || o.Syscall == "linkat"
	if o.Dst != "" && strings.HasPrefix(o.Dst, "/") {
		f := fCreated
		if !o.Created {
			f |= fMovedIn // a rename or link target, which may replace an entry
		}
		if access&makeSpecial != 0 {
			f |= fSpecial
		}
		b.object(o.Dst, o.PID, r).flags |= f
	}
	if o.Src != "" && !link && strings.HasPrefix(o.Src, "/") {
		b.object(o.Src, o.PID, r).flags |= fRemoved
	}
	// Rule 5 facts: moves between two parents.
	if o.Src != "" && o.Dst != "" && strings.HasPrefix(o.Src, "/") && strings.HasPrefix(o.Dst, "/") {
		p, src, dst := cleanPath(o.Path), cleanPath(o.Src), cleanPath(o.Dst)
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

// object returns the facts of the path p, as process pid of run r used
// it, creating them on first use. What a pid-dependent path is to its
// observer is worked out once for each process that looks.
func (b *Builder) object(p string, pid int, r *run) *object {
	n, ok := b.objects[p]
	if !ok && !policy.IsClean(p) {
		p = path.Clean(p)
		n, ok = b.objects[p]
	}
	if !ok {
		p = own(p)
		n = &object{path: p, lastPid: -1, pidDependent: pidDependent(p, r)}
		b.objects[p] = n
	}
	ri := len(b.runs) - 1
	if n.pidDependent {
		if n.lastPid != pid || n.lastRun != int32(ri) {
			n.lastPid, n.lastRun = pid, int32(ri)
			n.lastRel = n
			if rel, dir := b.relationOf(n.path, pid, r); rel != relNone {
				k := relKey(n.path, rel)
				o := b.objects[k]
				if o == nil {
					o = &object{path: n.path, pidDir: own(dir)}
					o.flags = [...]objFlags{relProcSelf: fProcSelf, relProcOther: fProcOther, relPidName: fPidName}[rel]
					b.objects[k] = o
				}
				n.lastRel = o
			}
		}
		n = n.lastRel
	}
	n.runs |= runBit(ri)
	return n
}

// pidDependent reports whether what p means can depend on the process
// that used it: p is in /proc, or in a runtime directory with a run of
// three digits or more that could be a pid. Other paths (lib311.so, read
// by a thousand processes) are looked at once.
func pidDependent(p string, r *run) bool {
	if strings.HasPrefix(p, "/proc/") {
		return true
	}
	if !inRuntimeDir(p, r.tmpdir) {
		return false
	}
	digits := 0
	for i := 0; i < len(p); i++ {
		if isDigit(p[i]) {
			if digits++; digits >= 3 {
				return true
			}
		} else {
			digits = 0
		}
	}
	return false
}

// relationOf says what p is to process pid of run r: the run's own /proc
// entry, another process's, or a name that holds the pid (and the
// directory that stands for it).
func (b *Builder) relationOf(p string, pid int, r *run) (relation, string) {
	if rest, ok := strings.CutPrefix(p, "/proc/"); ok {
		first, _, _ := strings.Cut(rest, "/")
		// /proc/1 is init's in every run: it stays as it is.
		if id, ok := atoi(first); ok && id > 1 {
			if id == pid && id == r.root {
				return relProcSelf, ""
			}
			return relProcOther, ""
		}
		return relNone, ""
	}
	// Names holding the pid (sh-thd.12345, app.12345.lock) are looked for
	// only where programs put such files: elsewhere a pid of 311 would
	// also match _ssl.cpython-311-x86_64-linux-gnu.so.
	if pid < 100 || !inRuntimeDir(p, r.tmpdir) || isAnchor(r.anchors, p) {
		return relNone, ""
	}
	if pid != b.lastPid {
		b.lastPid, b.lastPidText = pid, strconv.Itoa(pid)
	}
	if d, ok := cutPidComponent(p, b.lastPidText, r.anchors); ok {
		return relPidName, d
	}
	return relNone, ""
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

// own returns a copy of s, for a string the Builder keeps: the decoder's
// observations share the memory of the chunk they were read from, which
// a kept string would keep alive.
func own(s string) string { return strings.Clone(s) }

// cleanPath is path.Clean for the paths the tracer writes, which are
// nearly always clean already.
func cleanPath(p string) string {
	if policy.IsClean(p) {
		return p
	}
	return path.Clean(p)
}

// cleanDir is path.Dir of an absolute, clean path, without cleaning it
// again: every rename line asks it twice.
func cleanDir(p string) string {
	return p[:max(strings.LastIndexByte(p, '/'), 1)]
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
		b.exeName = append(b.exeName, own(exe))
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
