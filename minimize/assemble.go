package minimize

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/policy"
)

// rule is a grant being assembled, with what it came from.
type rule struct {
	path     string
	access   policy.FSAccess
	observed policy.FSAccess // before widening for renames
	dir      bool
	count    int
	exes     exeSet
	example  string
	paths    int             // distinct observed paths behind the rule
	lifted   int             // of them, created/replaced/deleted during the run
	gens     []string        // why paths generalized to this directory
	collapse int             // sibling file rules collapsed into it
	widened  []string        // rename/link widenings, for the comment
	covered  policy.FSAccess // rights also used here that an ancestor grants
}

// Minimize is New, Add for each observation and Policy, for callers that
// hold one run in memory.
func Minimize(obs []learn.Observation, o Options) (*policy.Policy, *Report) {
	b := New(o)
	for _, ob := range obs {
		b.Add(ob)
	}
	return b.Policy()
}

// Policy returns the least-privilege policy for everything added so far,
// and the report for people. It can be called more than once.
func (b *Builder) Policy() (*policy.Policy, *Report) {
	abi := b.o.abi()
	p := policy.New(abi)
	rep := &Report{Observations: b.added, Runs: max(b.runs, 1), PathsObserved: len(b.raw),
		FilesObserved: len(b.files), observedFiles: slices.Clip(b.files), FilesReachable: -1}
	sens := newSensitiveSet(b.o.Vars["HOME"])
	abstract := func(s string) string { return s }
	if b.o.Vars != nil {
		abstract = b.o.Vars.Abstracter()
	}

	rules := b.liftRules(p.Handled.FS)
	b.collapse(rules, sens)
	b.checkMoves(rules, p.Handled.FS, abstract, rep)
	rep.Dropped = dropCovered(rules, abstract)

	byPath := map[string]int{}
	var wider []string // rules on a directory for lifted or generalized paths
	for _, r := range sortedRules(rules) {
		if r.access == 0 {
			continue
		}
		ap := abstract(r.path)
		fr := policy.FSRule{Path: ap, Access: r.access, Comment: b.comment(r, abstract)}
		if i, ok := byPath[ap]; ok {
			p.FS[i].Access |= fr.Access
			p.FS[i].Comment += "\n" + fr.Comment
		} else {
			byPath[ap] = len(p.FS)
			p.FS = append(p.FS, fr)
		}
		b.warnSensitive(r, ap, sens, abstract, rep)
		rep.Rights += r.access.Count()
		if r.lifted > 0 || len(r.gens) > 0 {
			wider = append(wider, ap)
		}
	}
	if len(wider) > 0 {
		ex := wider[0]
		if len(wider) > 1 {
			ex += fmt.Sprintf(" and %d more", len(wider)-1)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("%s on a directory (%s) because the files were created, replaced or deleted during the run, or their names change from run to run: Landlock rules attach to inodes that exist when the sandbox starts, so they cannot be narrower",
			plural(len(wider), "rule is", "rules are"), ex))
	}
	b.netRules(p, abstract)
	for _, r := range p.Net {
		rep.Rights += r.Access.Count()
	}
	b.scopeNotes(p, abstract, rep)
	b.observationWarnings(abstract, rep)
	if len(b.moves) > 0 && p.Handled.FS&policy.FSRefer == 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"the run moved or linked files between directories, which ABI %d cannot allow under any policy (refer needs ABI 2): those calls will fail with EXDEV", abi))
	}
	p.Sort()
	rep.FSRules, rep.NetRules = len(p.FS), len(p.Net)
	p.Comment = fmt.Sprintf("Learned by landlearn from %d observations. Review every grant before you rely on it:\nthe comment above a rule says which accesses it comes from.", b.added)
	sort.Strings(rep.Warnings)
	sort.Strings(rep.Notes)
	sort.Strings(rep.ScopesOff)
	return p, rep
}

// lift maps a path to the nearest ancestor that existed before the run
// and stays (rule 3): the parent of its highest created, replaced, moved
// or deleted ancestor, or the path itself.
func (b *Builder) lift(p string) string {
	if len(b.unstable) == 0 {
		return p
	}
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if _, ok := b.unstable[p[:i]]; ok {
				return path.Dir(p[:i])
			}
		}
	}
	return p
}

// liftRules groups the observed paths into rules on paths that exist
// when the sandbox starts, keeping only handled rights.
func (b *Builder) liftRules(handled policy.FSAccess) map[string]*rule {
	rules := map[string]*rule{}
	for g, n := range b.nodes {
		t := b.lift(g)
		r := rules[t]
		if r == nil {
			r = &rule{path: t, example: n.example}
			rules[t] = r
		}
		r.access |= n.access & handled
		r.dir = r.dir || n.dir || t != g
		r.count += n.count
		r.exes.addAll(n.exes)
		r.paths += n.paths
		r.example = betterExample(r.example, n.example, t)
		if t != g {
			r.lifted += n.paths
		}
		if n.gen != "" && !contains(r.gens, n.gen) {
			r.gens = append(r.gens, n.gen)
			sort.Strings(r.gens)
		}
	}
	for _, r := range rules {
		r.observed = r.access
	}
	return rules
}

// betterExample picks a rule's example path deterministically: the
// smallest observed path that is not the rule's own path, since "e.g.
// /w/lock" tells a reviewer more about a rule on /w than "/w" does.
func betterExample(cur, cand, rulePath string) string {
	switch {
	case cur == rulePath:
		return cand
	case cand == rulePath:
		return cur
	}
	return min(cur, cand)
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// collapse merges the file rules of a directory into one rule on the
// directory when there are at least Options.Collapse of them (rule 6).
// Lifted and generalized rules are directory rules already.
//
// Only the rights that at least Collapse of the files used go to the
// directory: 32 libraries read and one of them (ld.so) executed give
// read_file on the directory and execute on ld.so alone, not execute on
// every library. A file that used more keeps its rule for the rest.
func (b *Builder) collapse(rules map[string]*rule, sens sensitiveSet) {
	if b.o.Collapse <= 0 {
		return
	}
	byDir := map[string][]*rule{}
	for _, r := range rules {
		if !r.dir && r.path != "/" {
			d := path.Dir(r.path)
			byDir[d] = append(byDir[d], r)
		}
	}
	for d, files := range byDir {
		if len(files) < b.o.Collapse || (!b.o.AllowSensitive && sens.inTree(d)) {
			continue
		}
		var common policy.FSAccess
		for bit := policy.FSAccess(1); bit != 0; bit <<= 1 {
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
		if common == 0 {
			continue
		}
		t := rules[d]
		if t == nil {
			t = &rule{path: d, example: files[0].example}
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
				delete(rules, f.path)
			}
		}
	}
}

// allowed is what the rules allow on p: the union of the rules on p and
// on each of its ancestors, as Landlock evaluates a path.
func allowed(rules map[string]*rule, p string) policy.FSAccess {
	var a policy.FSAccess
	if r := rules["/"]; r != nil {
		a |= r.access
	}
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if r := rules[p[:i]]; r != nil {
				a |= r.access
			}
		}
	}
	return a
}

// portable computes what rules allow on a path wherever the policy is
// used: only rules on ancestors that stay ancestors after the ${VAR}
// abstraction count. Here, with the checkout under /tmp, a ${TMPDIR}
// rule applies beneath ${PWD}; on a runner whose ${PWD} is /home/ci/build
// it does not.
type portable struct {
	abstract func(string) string
	cache    map[string]string
}

func newPortable(abstract func(string) string) portable {
	return portable{abstract, map[string]string{}}
}

func (pa portable) of(p string) string {
	a, ok := pa.cache[p]
	if !ok {
		a = pa.abstract(p)
		pa.cache[p] = a
	}
	return a
}

// allowed is the union of the rules on "/", on p itself when self is
// set, and on each ancestor of p whose abstracted path is a prefix of
// p's.
func (pa portable) allowed(rules map[string]*rule, p string, self bool) policy.FSAccess {
	var a policy.FSAccess
	if r := rules["/"]; r != nil {
		a |= r.access
	}
	if p == "/" {
		return a
	}
	if r := rules[p]; self && r != nil {
		a |= r.access
	}
	ap := pa.of(p)
	for q := path.Dir(p); q != "/"; q = path.Dir(q) {
		if r := rules[q]; r != nil && strings.HasPrefix(ap, pa.of(q)+"/") {
			a |= r.access
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
func (b *Builder) checkMoves(rules map[string]*rule, handled policy.FSAccess, abstract func(string) string, rep *Report) {
	if len(b.moves) == 0 {
		return
	}
	keys := make([]moveKey, 0, len(b.moves))
	for k := range b.moves {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].src != keys[j].src {
			return keys[i].src < keys[j].src
		}
		return keys[i].dstDir < keys[j].dstDir
	})
	fileRights := policy.FileRights() & handled
	// The gain is computed twice: with every rule, as this machine
	// enforces the policy, and with the rules that apply wherever it is
	// used (portable). Here a ${TMPDIR} rule above a ${PWD} under /tmp
	// adds the same rights to both sides and hides a gain that another
	// checkout would see (EXDEV there).
	pa := newPortable(abstract)
	for changed := true; changed; {
		changed = false
		for _, k := range keys {
			m := b.moves[k]
			rel := fileRights
			if m.dir {
				rel = handled
			}
			gain := (allowed(rules, k.dstDir)&^allowed(rules, k.src) |
				pa.allowed(rules, k.dstDir, true)&^pa.allowed(rules, k.src, true)) & rel
			if gain == 0 {
				continue
			}
			t := b.lift(path.Dir(k.src))
			r := rules[t]
			if r == nil {
				r = &rule{path: t, dir: true, example: k.src}
				rules[t] = r
			}
			r.access |= gain
			verb := "moving"
			if m.link {
				verb = "linking"
			}
			msg := fmt.Sprintf("widened by %s so that %s %s to %s does not fail with EXDEV (the kernel refuses to let a moved object gain rights)",
				gain, verb, abstract(k.src), abstract(m.dst))
			r.widened = append(r.widened, msg)
			rep.Notes = append(rep.Notes, abstract(t)+": "+msg)
			changed = true
		}
	}
}

// dropCovered applies rule 9: a rule loses the rights that rules on its
// ancestors already grant (Landlock adds up the rules along a path, so
// the policy allows the same), and a rule left with none is dropped. It
// returns how many rules it dropped. Every rule is trimmed against the
// rules as they were: trimming an ancestor only removes what its own
// ancestors grant, so what any path is allowed does not change.
//
// Only an ancestor that stays an ancestor wherever the policy is used
// counts: abstract (the ${VAR} abstraction of the written policy) must
// keep it a prefix. With the checkout under /tmp, ${TMPDIR} covers
// ${PWD} here, but not on a CI runner whose ${PWD} is /home/ci/build:
// dropping the ${PWD} rule would break the policy there.
func dropCovered(rules map[string]*rule, abstract func(string) string) int {
	pa := newPortable(abstract)
	trim := map[string]policy.FSAccess{}
	for p, r := range rules {
		if p == "/" {
			continue
		}
		if t := r.access & pa.allowed(rules, p, false); t != 0 || r.access == 0 {
			trim[p] = t
		}
	}
	dropped := 0
	for p, t := range trim {
		r := rules[p]
		r.access &^= t
		r.covered = t
		if r.access == 0 {
			delete(rules, p)
			dropped++
		}
	}
	return dropped
}

func sortedRules(rules map[string]*rule) []*rule {
	out := make([]*rule, 0, len(rules))
	for _, r := range rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// exeList names up to three executables, sorted, and how many more.
func (b *Builder) exeList(exes exeSet, abstract func(string) string) string {
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

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// comment is a rule's provenance: how many accesses, by which
// executables, one example path, and why the rule is wider than one
// observed path when it is.
func (b *Builder) comment(r *rule, abstract func(string) string) string {
	var lines []string
	l := plural(r.count, "access", "accesses")
	if r.exes.len() > 0 {
		l += " by " + b.exeList(r.exes, abstract)
	}
	if r.example != r.path {
		l += "; e.g. " + abstract(r.example)
	}
	lines = append(lines, l)
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
	if r.dir && r.lifted == 0 && len(r.gens) == 0 && r.collapse == 0 && r.observed&policy.FileRights() != 0 {
		lines = append(lines, "file rights opened on the directory itself (O_TMPFILE): they apply to every file beneath it; Landlock cannot be narrower")
	}
	lines = append(lines, r.widened...)
	if r.covered != 0 {
		lines = append(lines, fmt.Sprintf("also used %s here, which a rule on a parent directory grants", r.covered))
	}
	return strings.Join(lines, "\n")
}

// warnSensitive applies the second half of rule 6: a grant on a
// sensitive path, or a widened or writing grant inside a tree of secrets,
// is warned about with what the run used against what is granted.
func (b *Builder) warnSensitive(r *rule, ap string, sens sensitiveSet, abstract func(string) string, rep *Report) {
	wide := r.dir && (r.lifted > 0 || len(r.gens) > 0 || r.collapse > 0 || len(r.widened) > 0)
	write := r.access&^(policy.FSReadFile|policy.FSReadDir|policy.FSExecute) != 0
	if !sens.isRoot(r.path) && !(sens.inSecret(r.path) && (wide || write)) {
		return
	}
	where := "on " + ap
	if r.dir {
		where = "beneath " + ap + " (everything in it)"
	}
	obs := fmt.Sprintf("the run used %s on %s", r.observed, plural(r.paths, "path", "paths"))
	if r.example != r.path {
		obs += ", e.g. " + abstract(r.example)
	}
	rep.Warnings = append(rep.Warnings, fmt.Sprintf("sensitive grant: %s %s; %s", r.access, where, obs))
}

// netRules makes one rule per observed port (ports are exact in Landlock;
// port 0 is the rule that allows binding an ephemeral port).
func (b *Builder) netRules(p *policy.Policy, abstract func(string) string) {
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
			c += " by " + b.exeList(n.exes, abstract)
		}
		if port == 0 {
			c += "\nport 0: binding an ephemeral port the kernel picks"
		}
		p.Net = append(p.Net, policy.NetRule{Port: uint16(port), Access: a, Comment: c})
	}
}

// scopeNotes leaves off the scopes an observation needs off, saying why.
func (b *Builder) scopeNotes(p *policy.Policy, abstract func(string) string, rep *Report) {
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
			by = " by " + b.exeList(s.exes, abstract)
		}
		rep.ScopesOff = append(rep.ScopesOff, fmt.Sprintf("%s left off: the run %s%s, %s%s",
			r.Name, why, t, plural(s.count, "time", "times"), by))
	}
}

// observationWarnings passes on the tracer's warnings, once each, and
// warns about input that minimization had to ignore.
func (b *Builder) observationWarnings(abstract func(string) string, rep *Report) {
	for text, w := range b.warnings {
		s := text + " (" + plural(w.count, "time", "times")
		if w.exes.len() > 0 {
			s += ", " + b.exeList(w.exes, abstract)
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
		rep.Warnings = append(rep.Warnings, "no observations: the policy denies every handled access; did the program run?")
	}
}
