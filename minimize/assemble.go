package minimize

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/internal/textsafe"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// Minimize is New, Add for each observation and Policy, for callers that
// hold one run in memory.
func Minimize(obs []learn.Observation, o Options) (*policy.Policy, *Report) {
	b := New(o)
	for _, ob := range obs {
		b.Add(ob)
	}
	return b.Policy()
}

// Policy runs the stages after record (classify, generalize, assemble)
// on everything added so far, and returns the least-privilege policy and
// the report for people. It can be called more than once.
func (b *Builder) Policy() (*policy.Policy, *Report) {
	b.current()
	b.facts = newHostFacts(b.o.Root)
	abi := b.o.abi()
	p := policy.New(abi)
	rep := &Report{Observations: b.added, Runs: len(b.runs), FilesReachable: -1}
	seen := map[string]objFlags{}
	for _, o := range b.objects {
		if o.flags&fSeen != 0 {
			seen[o.path] |= o.flags
		}
	}
	for p, f := range seen {
		if f&fFile != 0 && !pseudo(p) {
			rep.observedFiles = append(rep.observedFiles, p)
		}
	}
	sort.Strings(rep.observedFiles)
	rep.PathsObserved, rep.FilesObserved = len(seen), len(rep.observedFiles)

	g := b.generalize(b.classify(), p.Handled.FS, rep)
	b.assemble(p, g, rep)
	return p, rep
}

// assemble is the last stage: the policy's rules, each with the comment
// that says what it covers and why, and the report.
func (b *Builder) assemble(p *policy.Policy, g *generalized, rep *Report) {
	sens := b.sensitive()
	for _, name := range policy.GroupNames() {
		gr := g.groups[name]
		if gr == nil || gr.access == 0 {
			continue
		}
		p.FS = append(p.FS, policy.FSRule{Group: name, Access: gr.access, Comment: b.groupComment(name, gr, g)})
		rep.Rights += gr.access.Count()
		rep.Groups++
	}
	var wider []string // rules on a directory for lifted or generalized paths
	var left []string  // directories the run made and left
	for _, r := range sortedRules(g.rules) {
		b.warnWithheld(r, rep)
		if r.access == 0 {
			continue
		}
		before := len(rep.Warnings)
		b.warnSensitive(r, sens, rep)
		b.warnTerminals(r, rep)
		b.noteSharedTmp(r, rep)
		// A reviewer of the policy file, who never saw learn's output,
		// reads the rule's warnings beside it.
		comment := b.comment(r)
		for _, w := range rep.Warnings[before:] {
			comment += "\nWARNING: " + w
		}
		p.FS = append(p.FS, policy.FSRule{Path: r.name, Access: r.access, Learned: true, Comment: comment})
		left = append(left, r.leftDirs...)
		rep.Rights += r.access.Count()
		if r.lifted > 0 || len(r.gens) > 0 {
			wider = append(wider, r.name)
		}
		if r.unit != "" || r.runtime {
			rep.Units++
		}
	}
	b.warnUnusedData(g, rep)
	if len(wider) > 0 {
		ex := wider[0]
		if len(wider) > 1 {
			ex += fmt.Sprintf(" and %d more", len(wider)-1)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s on a directory (%s) because the files were created, replaced or deleted during the run, or their names change from run to run: Landlock rules attach to inodes that exist when the sandbox starts, so they cannot be narrower",
			plural(len(wider), "rule is", "rules are"), ex))
	}
	if len(left) > 0 {
		// The run made them, so it never removed one that was there: a
		// rerun that does (rm -rf out; mkdir out) needs rights this run
		// did not use, and they are not granted.
		sort.Strings(left)
		ex := left[0]
		if len(left) > 1 {
			ex += fmt.Sprintf(" and %d more", len(left)-1)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("a rerun finds %s, made by this run and left there: "+
			"if the command removes what it finds first (rm -rf), learn it again while that is there (learn --merge) to add the rights for it", ex))
	}
	b.netRules(p)
	for _, r := range p.Net {
		rep.Rights += r.Access.Count()
	}
	b.scopeNotes(p, rep)
	b.observationWarnings(rep)
	if len(b.moves) > 0 && p.Handled.FS&policy.FSRefer == 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"the run moved or linked files between directories, which ABI %d cannot allow under any policy (refer needs ABI 2): those calls will fail with EXDEV", p.ABI))
	}
	p.Sort()
	rep.FSRules, rep.NetRules = len(p.FS), len(p.Net)
	p.Comment = fmt.Sprintf("Learned by landlearn from %d observations. Review every grant before you rely on it:\nthe comment above a rule says which accesses it comes from.", b.added)
	sort.Strings(rep.Warnings)
	sort.Strings(rep.Notes)
	sort.Strings(rep.ScopesOff)
}

func sortedRules(rules map[string]*rule) []*rule {
	out := make([]*rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// exeList names up to three executables, sorted, and how many more: the
// launcher as "landlearn", the others with the first run's variables.
func (b *Builder) exeList(exes exeSet) string {
	abstract := b.abstracter()
	names := make([]string, exes.len())
	for i, id := range exes.ids() {
		if name := b.exeName[id]; b.launchers[name] || name == b.o.Launcher && name != "" {
			names[i] = "landlearn"
			continue
		}
		names[i] = abstract(b.exeName[id])
	}
	sort.Strings(names)
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}

// abstracter abstracts paths in messages with the first run's variables.
func (b *Builder) abstracter() func(string) string {
	if len(b.runs) == 0 || b.runs[0].vars == nil {
		return func(s string) string { return s }
	}
	return b.runs[0].vars.Abstracter()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// comment is a rule's provenance: how many accesses, by which
// executables, one example path, and why the rule is wider than one
// observed path when it is.
func (b *Builder) comment(r *rule) string {
	var lines []string
	l := plural(r.count, "access", "accesses")
	if r.exes.len() > 0 {
		l += " by " + b.exeList(r.exes)
	}
	if r.example != r.name && r.example != "" {
		l += "; e.g. " + r.example
	}
	lines = append(lines, l)
	if r.unit != "" {
		lines = append(lines, fmt.Sprintf("data: %s; granted as one directory with the read rights used beneath it, so new files of the same shape work too", r.unit))
	}
	if r.runtime {
		lines = append(lines, "a language runtime's install tree, read-only: granted as one directory, whichever version or module the next run uses")
	}
	if r.rerun != 0 {
		lines = append(lines, fmt.Sprintf("also %s so that the same command can run again here: a rerun finds %s, which this run created, and replaces it", r.rerun, r.rerunExample))
	}
	if r.lifted > 0 {
		lines = append(lines, plural(r.lifted, "path", "paths")+
			" created, replaced or deleted during the run: granted on the nearest directory that existed before (a rule needs an inode when the sandbox starts)")
	}
	if len(r.gens) > 0 {
		lines = append(lines, "generalized to the directory: "+strings.Join(r.gens, "; "))
	}
	if r.collapse > 0 {
		lines = append(lines, fmt.Sprintf("collapsed from %d sibling files (--collapse %d)", r.collapse, b.o.Collapse))
	}
	if r.dir && r.lifted == 0 && len(r.gens) == 0 && r.collapse == 0 && r.unit == "" && !r.runtime && r.observed&policy.FileRights() != 0 {
		lines = append(lines, "file rights opened on the directory itself (O_TMPFILE): they apply to every file beneath it; Landlock cannot be narrower")
	}
	lines = append(lines, r.widened...)
	if r.covered != 0 {
		lines = append(lines, fmt.Sprintf("also used %s here, which a rule on a parent directory or a group grants", r.covered))
	}
	return strings.Join(lines, "\n")
}

// warnSensitive applies the second half of rule 6: a grant on a
// sensitive path, or a widened or writing grant inside a tree of secrets,
// is warned about with what the run used against what is granted.
func (b *Builder) warnSensitive(r *rule, sens sensitiveSet, rep *Report) {
	wide := r.dir && (r.lifted > 0 || len(r.gens) > 0 || r.collapse > 0 || len(r.widened) > 0 || r.unit != "" || r.runtime)
	write := r.access&^readRights != 0
	root := sens.isRoot(r.concrete) || sens.isRoot(r.name)
	secret := sens.inSecret(r.concrete) || sens.inSecret(r.name)
	held := ""
	if r.dir {
		if held = sens.holds(r.concrete); held == "" {
			held = sens.holds(r.name)
		}
	}
	if !root && held == "" && !(secret && (wide || write)) {
		return
	}
	where := "on " + r.name
	switch {
	case held != "":
		where = "beneath " + r.name + " (everything in it), which holds " + held
	case r.dir:
		where = "beneath " + r.name + " (everything in it)"
	}
	obs := fmt.Sprintf("the run used %s on %s", r.observed, plural(r.paths, "path", "paths"))
	if r.example != r.name && r.example != "" {
		obs += ", e.g. " + r.example
	}
	if held != "" && r.lifted > 0 {
		// Landlock forced the directory: the run made what it used there.
		obs += "; the run created what it used there: make it exist before the program runs (mkdir -p, touch) and learn again, and the rule stays on it"
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("sensitive grant: %s %s; %s", r.access, where, obs))
}

// warnWithheld says which rights the run used but the rule does not
// grant, and why.
func (b *Builder) warnWithheld(r *rule, rep *Report) {
	if r.withheld == 0 {
		return
	}
	ex := ""
	if r.withheldExample != "" {
		ex = " (e.g. " + r.withheldExample + ")"
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("not granted: %s on other processes' /proc/PID files%s: "+
		"only a rule on %s covers them, and it would let the program write to every process's files and to /proc/sys; "+
		"the program will be denied this (a process's own /proc/self is granted when it is the one landlearn run starts); "+
		"add the rule by hand if it must", r.withheld, ex, r.name))
}

// netRules makes one rule per observed port (ports are exact in Landlock;
// port 0 is the rule that allows binding an ephemeral port).
func (b *Builder) netRules(p *policy.Policy) {
	ports := make([]int, 0, len(b.net))
	for port := range b.net {
		ports = append(ports, int(port))
	}
	sort.Ints(ports)
	for _, port := range ports {
		n := b.net[uint16(port)]
		a := n.access & p.Handled.Net
		if a == 0 {
			continue
		}
		c := plural(n.count, "call", "calls")
		if n.exes.len() > 0 {
			c += " by " + b.exeList(n.exes)
		}
		if port == 0 {
			c += "\nport 0: binding an ephemeral port the kernel picks"
		}
		p.Net = append(p.Net, policy.NetRule{Port: uint16(port), Access: a, Comment: c})
	}
}

// scopeNotes leaves off the scopes an observation needs off, saying why.
func (b *Builder) scopeNotes(p *policy.Policy, rep *Report) {
	for name, s := range b.scopes {
		r, ok := policy.LookupRight(name)
		if !ok || r.Kind != policy.KindScope {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("observations name scope %q, which this landlearn does not know; ignored", name))
			continue
		}
		p.Handled.Scoped &^= policy.ScopeSet(r.Bit)
		why := "signalled a process outside the sandbox"
		if r.Name == "abstract_unix_socket" {
			why = "reached an abstract unix socket created outside the sandbox"
		}
		t := ""
		if s.target != "" {
			t = " (e.g. " + s.target + ")"
		}
		by := ""
		if s.exes.len() > 0 {
			by = " by " + b.exeList(s.exes)
		}
		rep.ScopesOff = append(rep.ScopesOff, fmt.Sprintf("%s left off: the run %s%s, %s%s",
			r.Name, why, t, plural(s.count, "time", "times"), by))
	}
}

// observationWarnings passes on the tracer's warnings, once each, and
// warns about input that minimization had to ignore.
func (b *Builder) observationWarnings(rep *Report) {
	for text, w := range b.warnings {
		s := text + " (" + plural(w.count, "time", "times")
		if w.exes.len() > 0 {
			s += ", " + b.exeList(w.exes)
		}
		rep.Warnings = append(rep.Warnings, s+")")
	}
	if len(b.unknown) > 0 {
		var names []string
		for n, c := range b.unknown {
			names = append(names, fmt.Sprintf("%q (%s)", n, plural(c, "time", "times")))
		}
		sort.Strings(names)
		rep.Warnings = append(rep.Warnings, "observations name rights this landlearn does not know, left out of the policy: "+strings.Join(names, ", "))
	}
	if b.relative > 0 {
		rep.Warnings = append(rep.Warnings, plural(b.relative, "observation has a relative path and was", "observations have a relative path and were")+" ignored; paths must be resolved by the tracer")
	}
	if b.added == 0 {
		rep.Warnings = append(rep.Warnings, noObservations)
	}
}

// groupComment is a group rule's provenance: what the runs did with the
// group's files here, and what the group stands for where the policy is
// enforced.
func (b *Builder) groupComment(name string, gr *groupRule, g *generalized) string {
	var lines []string
	l := plural(gr.count, "access", "accesses")
	if gr.exes.len() > 0 {
		l += " by " + b.exeList(gr.exes)
	}
	lines = append(lines, l)
	if len(gr.executed) > 0 {
		lines = append(lines, "executed "+examples(gr.executed))
	}
	if len(gr.read) > 0 {
		lines = append(lines, "read "+examples(gr.read))
	}
	grp, _ := policy.LookupGroup(name)
	lines = append(lines, "group "+name+": "+grp.Summary+", resolved where the policy is enforced")
	if n := g.coveredBy(name); n > 0 {
		lines = append(lines, fmt.Sprintf("also covers %s", plural(n, "file the run used that is not the system's own (not root's, or not packaged)", "files the run used that are not the system's own (not root's, or not packaged)")))
	}
	return strings.Join(lines, "\n")
}

// examples names up to three paths, sorted, and how many more.
func examples(paths []string) string {
	paths = slices.Clone(paths)
	sort.Strings(paths)
	paths = slices.Compact(paths)
	n := len(paths)
	if n > 3 {
		return plural(n, "file", "files") + ", e.g. " + strings.Join(paths[:3], ", ")
	}
	return strings.Join(paths, ", ")
}

// noteSharedTmp says when a rule hands the program a temp directory that
// other programs share: files with random names (mkstemp) can only be
// granted through their directory, and with ${TMPDIR} at /tmp that is
// everyone's /tmp. A directory of the program's own as TMPDIR, when it
// runs, keeps the rule as it is and the rest of /tmp out of reach.
//
// Reading there is a note; writing, making or removing entries there
// reaches other programs' files (an agent's socket, another build's
// object file), so it is a warning.
func (b *Builder) noteSharedTmp(r *rule, rep *Report) {
	if r.access == 0 || !b.facts.sharedDir(r.concrete) {
		return
	}
	name := r.name
	if name != r.concrete {
		name += " is " + r.concrete + ","
	} else {
		name += " is"
	}
	fix := "give it a temp directory of its own when it runs (TMPDIR=$(mktemp -d) landlearn run ...)"
	if !isTempDir(r.concrete, "") {
		name += " sticky and writable by every user,"
		fix = "give it a directory of its own for what it makes there"
	}
	if r.rerunShared != "" {
		fix += "; a rerun that finds " + r.rerunShared + ", which this run left, is not granted to replace it there"
	}
	if r.access&^readRights == 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s shared with other programs, and the policy lets the program read in it (%s): %s", name, r.access, fix))
		return
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s shared with other programs, and the policy grants %s on everything in it, other programs' files and sockets included: %s", name, r.access, fix))
}

// warnUnusedData warns about each directory declared with learn --data
// that the policy does not let the program read as a whole (a rule on it
// or above it, or a group): the user said it is data, and would
// otherwise find out when a new file there is denied. A run that read
// nothing beneath it gives no rights to grant; a sensitive, shared or
// top-level directory is never a unit.
func (b *Builder) warnUnusedData(g *generalized, rep *Report) {
	seen := map[string]bool{}
	for _, run := range b.runs {
		if run.header == nil {
			continue
		}
		abstract := run.vars.Abstracter()
		for _, d := range run.header.Data {
			if !filepath.IsAbs(d) {
				d = filepath.Join(run.header.Cwd, d)
			}
			d = filepath.Clean(d)
			name := abstract(d)
			if seen[name] || g.allowedHere(d)&policy.FSReadFile != 0 {
				continue
			}
			seen[name] = true
			used := false
			for n := range g.rules {
				if used = beneath(n, name); used {
					break
				}
			}
			why := "the run read nothing beneath it, so there is no right to grant: exercise it while learning (request a page, read a file), or write a rule by hand"
			if used {
				why = "it is a sensitive, shared or top-level directory, which is never one rule: the files the run used there have rules of their own"
			}
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("--data %s is not granted as one directory: %s", textsafe.Name(name), why))
		}
	}
}

// warnTerminals warns about a rule on /dev/pts: the one rule that covers
// a pty opened by name during the run (pty numbers change) covers every
// terminal of the machine.
func (b *Builder) warnTerminals(r *rule, rep *Report) {
	if r.concrete != "/dev/pts" || r.access == 0 {
		return
	}
	ioctl := ""
	if r.access.Has(policy.FSIoctlDev) {
		ioctl = ", and with ioctl_dev type commands into them (TIOCSTI: as root, or where sysctl dev.tty.legacy_tiocsti is 1)"
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("terminals: %s beneath /dev/pts covers every terminal of this machine, other sessions' included: "+
		"the program can read and write them%s; Landlock cannot name a pty opened during the run more narrowly. "+
		"The terminal a program inherits (its stdin, stdout, stderr) needs no rule: grant this only to a program that must open ptys (script, tmux, expect), and not as root",
		r.access, ioctl))
}
