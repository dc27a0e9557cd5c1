package explain

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/policy"
)

// Explanation is what `landlearn explain` and `verify` tell about a set of
// denials: per domain, who created it, its lifetime, and its denials
// grouped by object with the rule that fixes them. Its JSON field names
// are a stable interface (`explain --json`).
type Explanation struct {
	Domains []DomainExplanation `json:"domains"`
}

// DomainExplanation is one Landlock domain and what it denied.
type DomainExplanation struct {
	ID   string `json:"domain"`
	Host string `json:"host,omitempty"`
	// Creator is the process that called landlock_restrict_self, from the
	// status=allocated record; nil when the input does not hold it.
	Creator *Creator `json:"creator,omitempty"`
	// FirstDenial is the time of the domain's first logged denial (the
	// kernel writes the allocation record then); Deallocated is set from
	// the status=deallocated record. FirstDenial is zero (and left out of
	// JSON) when the input has none of the domain's denials.
	FirstDenial time.Time  `json:"first_denial,omitzero"`
	Deallocated *time.Time `json:"deallocated,omitempty"`
	// Denials is the kernel's count from the deallocation record (-1
	// when the domain was still alive or the record is missing); Logged
	// is the number of denial records read.
	Denials int64 `json:"denials"`
	Logged  int   `json:"logged"`
	// DenialsRecord is the deallocation record's denials= field when it
	// is no count the kernel writes (not a number, or above 2^63-1):
	// Denials is then -1.
	DenialsRecord string `json:"denials_record,omitempty"`
	// Parent is a domain in which the creator itself was seen denied
	// before: this domain is nested in it, directly or deeper (the
	// records of ABI 7 do not name parents; this is inferred from pids).
	Parent  string         `json:"parent,omitempty"`
	Objects []ObjectDenial `json:"objects"`
}

// Creator is the process that created a domain.
type Creator struct {
	Exe  string `json:"exe"`
	Comm string `json:"comm"`
	PID  int    `json:"pid"`
	UID  int    `json:"uid"`
	Mode string `json:"mode"`
}

// ObjectDenial is every denial of one object (a path, a port, a process)
// in one domain.
type ObjectDenial struct {
	// Object names it for people: "/etc/hosts", "tcp port 443
	// (127.0.0.1)", "process 1 (systemd)", "abstract unix socket @x".
	Object string `json:"object"`
	// Kind is fs, net, scope, or the blocker no rule can allow (ptrace).
	Kind string `json:"kind"`
	Path string `json:"path,omitempty"`
	Port *int   `json:"port,omitempty"`
	// Rights are the denied rights (union of the blockers), by name.
	Rights      []string  `json:"rights"`
	Count       int       `json:"count"`
	Executables []string  `json:"executables"`
	Syscalls    []string  `json:"syscalls"`
	PIDs        []int     `json:"pids"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
	// Sources are up to three file:line locations of the records.
	Sources []string `json:"sources,omitempty"`
	// Fix is the YAML rule that allows it, or why none can (audit.Denial.FixRule).
	Fix string `json:"fix"`
	// Policy is set when a policy was given: does it already allow this?
	Policy *PolicyVerdict `json:"policy,omitempty"`
}

// PolicyVerdict says whether a policy allows what a domain denied.
type PolicyVerdict struct {
	// Allows is set when the policy grants every denied right: the
	// denial then came from another layer (a nested domain, another
	// policy, an older version of this one).
	Allows bool `json:"allows"`
	// Missing are the denied rights the policy does not grant either.
	Missing []string `json:"missing,omitempty"`
	// Unfixable are blockers no policy can allow (ptrace of a process
	// outside the domain).
	Unfixable []string `json:"unfixable,omitempty"`
}

const maxSources = 3

// Explain groups denials by domain and object. doms gives the domains'
// creators and lifetimes (audit.Correlator.Domains). When p is not nil (already
// expanded: policy.Expand), each object says whether p allows it.
func Explain(ds []audit.Denial, doms []audit.Domain, p *policy.Policy) Explanation {
	a := NewAggregator(p)
	for _, d := range ds {
		a.Add(d)
	}
	return a.Explanation(doms)
}

// Aggregator groups denials as they come, for Explanation and Summary,
// so that a reader of long logs (audit.Correlator.Stream) keeps what
// each denied object needs and not the denials: memory grows with the
// distinct objects, executables and processes, never with the records.
type Aggregator struct {
	// Fixes, when set, names the fixes: it is given every denied
	// object's denial as observations (audit.Denial.Observations) and
	// returns the Namer of its rules (minimize.Fixes), so that a fix
	// reads as learn would write it. nil: the paths the kernel logged.
	Fixes func([]learn.Observation) audit.Namer
	p     *policy.Policy
	byDom map[domainKey]*domAcc
	order []domainKey
	// n counts the denials, unjoined those without a SYSCALL record.
	n, unjoined int
	// host, exe, right and dom count denials for Summary.
	host, exe, right, dom counter
	// denied records, per process, the domains it was denied in: a
	// domain created by that process later is nested in one of them.
	denied map[pidKey][]pidDenial
}

type domAcc struct {
	logged int
	first  time.Time // earliest denial
	objs   map[string]*objAcc
	keys   []string
}

type objAcc struct {
	od     ObjectDenial
	rights map[string]bool
	d      audit.Denial // the first denial, with the union of the blockers
}

type pidKey struct {
	host string
	pid  int
}

// pidDenial is the first denial of a process in a domain.
type pidDenial struct {
	domain string
	time   time.Time
	seq    int
}

// NewAggregator returns an empty Aggregator; p is as for Explain.
func NewAggregator(p *policy.Policy) *Aggregator {
	return &Aggregator{p: p, byDom: map[domainKey]*domAcc{}, host: counter{}, exe: counter{}, right: counter{},
		dom: counter{}, denied: map[pidKey][]pidDenial{}}
}

// Count is the number of denials added.
func (a *Aggregator) Count() int { return a.n }

// Hosts is the number of hosts the denials came from.
func (a *Aggregator) Hosts() int { return len(a.host) }

// Unjoined is the number of denials whose SYSCALL record was not found:
// their process and executable are unknown.
func (a *Aggregator) Unjoined() int { return a.unjoined }

// Add takes one denial into account. It keeps what the output needs of
// it, not the denial: the object's first denial, its rights, executables,
// syscalls, pids and up to three sources.
func (a *Aggregator) Add(d audit.Denial) {
	a.n++
	if !d.Joined {
		a.unjoined++
	}
	k := domainKey{d.Host, d.Domain}
	da, ok := a.byDom[k]
	if !ok {
		da = &domAcc{objs: map[string]*objAcc{}}
		a.byDom[k] = da
		a.order = append(a.order, k)
	}
	da.logged++
	if da.first.IsZero() || d.Time.Before(da.first) {
		da.first = d.Time
	}
	key := objectKey(d)
	o, ok := da.objs[key]
	if !ok {
		o = &objAcc{od: ObjectDenial{Object: d.Object(), Kind: d.Kind(), First: d.Time}, rights: map[string]bool{}, d: d}
		o.d.Blockers = nil
		o.d.Fields = nil // the record's fields: not needed for the fix
		if o.od.Kind == "fs" {
			o.od.Path = d.Path
		}
		if o.od.Kind == "net" {
			port := d.Port
			o.od.Port = &port
		}
		da.objs[key] = o
		da.keys = append(da.keys, key)
	}
	od := &o.od
	od.Count++
	if d.Time.Before(od.First) {
		od.First = d.Time
	}
	if d.Time.After(od.Last) {
		od.Last = d.Time
	}
	for i, r := range d.RightNames() {
		if !o.rights[r] {
			o.rights[r] = true
			o.d.Blockers = append(o.d.Blockers, d.Blockers[i])
		}
	}
	if d.Exe != "" {
		od.Executables = appendUnique(od.Executables, d.Exe)
	}
	if d.SyscallName != "" {
		od.Syscalls = appendUnique(od.Syscalls, d.SyscallName)
	}
	if d.PID != 0 && !containsInt(od.PIDs, d.PID) {
		od.PIDs = append(od.PIDs, d.PID)
	}
	if d.Source != "" && len(od.Sources) < maxSources {
		od.Sources = append(od.Sources, d.Source)
	}
	if d.PID != 0 {
		pk := pidKey{d.Host, d.PID}
		list := a.denied[pk]
		i := slices.IndexFunc(list, func(x pidDenial) bool { return x.domain == d.Domain })
		switch {
		case i < 0:
			a.denied[pk] = append(list, pidDenial{d.Domain, d.Time, a.n})
		case d.Time.Before(list[i].time):
			list[i].time = d.Time
		}
	}
	h := d.Host
	if h == "" {
		h = "(local)"
	}
	a.host.add(h)
	e := d.Exe
	if e == "" {
		e = "(unknown)"
	}
	a.exe.add(e)
	for _, r := range d.RightNames() {
		a.right.add(r)
	}
	a.dom.add(domainLabel(d.Host, d.Domain))
}

// Explanation is what the denials added tell, per domain: doms first, in
// their order, then the domains only denials named.
func (a *Aggregator) Explanation(doms []audit.Domain) Explanation {
	var out Explanation
	var namer audit.Namer
	if a.Fixes != nil {
		var obs []learn.Observation
		for _, k := range a.order {
			da := a.byDom[k]
			for _, key := range da.keys {
				obs = append(obs, da.objs[key].d.Observations()...)
			}
		}
		namer = a.Fixes(obs)
	}
	index := map[domainKey]int{}
	domain := func(k domainKey) *DomainExplanation {
		if i, ok := index[k]; ok {
			return &out.Domains[i]
		}
		index[k] = len(out.Domains)
		out.Domains = append(out.Domains, DomainExplanation{ID: k.id, Host: k.host, Denials: -1, Objects: []ObjectDenial{}})
		return &out.Domains[len(out.Domains)-1]
	}
	for _, dm := range doms {
		de := domain(domainKey{dm.Host, dm.ID})
		if dm.Allocated {
			de.Creator = &Creator{Exe: dm.Exe, Comm: dm.Comm, PID: dm.PID, UID: dm.UID, Mode: dm.Mode}
			de.FirstDenial = dm.AllocatedAt
		}
		if dm.Deallocated {
			t := dm.DeallocatedAt
			de.Deallocated = &t
			if dm.BadDenials {
				de.Denials, de.DenialsRecord = -1, dm.DenialsField
				if de.DenialsRecord == "" {
					de.DenialsRecord = "(none)"
				}
			} else {
				de.Denials = int64(dm.Denials)
			}
		}
	}
	for _, k := range a.order {
		domain(k)
	}
	for i := range out.Domains {
		de := &out.Domains[i]
		da := a.byDom[domainKey{de.Host, de.ID}]
		if da == nil {
			continue
		}
		de.Logged = da.logged
		if de.FirstDenial.IsZero() || da.first.Before(de.FirstDenial) {
			de.FirstDenial = da.first
		}
		for _, key := range da.keys {
			de.Objects = append(de.Objects, a.object(da.objs[key], namer))
		}
		sort.SliceStable(de.Objects, func(i, j int) bool {
			x, y := de.Objects[i], de.Objects[j]
			if !x.First.Equal(y.First) {
				return x.First.Before(y.First)
			}
			return x.Object < y.Object
		})
	}
	a.inferParents(out.Domains)
	return out
}

// object finishes one object's denials for output.
func (a *Aggregator) object(o *objAcc, namer audit.Namer) ObjectDenial {
	d := o.d
	d.Blockers = sortedBlockers(d.Blockers)
	od := o.od
	od.Rights = d.RightNames()
	od.Fix = d.FixRuleNamed(namer)
	od.Executables = slices.Sorted(slices.Values(od.Executables))
	od.Syscalls = slices.Sorted(slices.Values(od.Syscalls))
	od.PIDs = slices.Sorted(slices.Values(od.PIDs))
	od.Sources = slices.Clone(od.Sources)
	if a.p != nil {
		od.Policy = verdict(a.p, d)
	}
	return od
}

// inferParents sets Parent for a domain whose creator pid was denied in
// another domain before this one's first denial: the creator ran inside
// that domain when it called restrict_self.
func (a *Aggregator) inferParents(des []DomainExplanation) {
	for i := range des {
		c := des[i].Creator
		if c == nil || c.PID == 0 {
			continue
		}
		var best *pidDenial
		for j, x := range a.denied[pidKey{des[i].Host, c.PID}] {
			if x.domain == des[i].ID || x.time.After(des[i].FirstDenial) {
				continue
			}
			if best == nil || x.time.Before(best.time) || x.time.Equal(best.time) && x.seq < best.seq {
				best = &a.denied[pidKey{des[i].Host, c.PID}][j]
			}
		}
		if best != nil {
			des[i].Parent = best.domain
		}
	}
}

// objectKey identifies the object a denial is about within its domain,
// so that repeated denials of one object group together.
func objectKey(d audit.Denial) string {
	switch k := d.Kind(); k {
	case "fs":
		return "fs\x00" + d.Path
	case "net":
		return "net\x00" + strconv.Itoa(d.Port)
	default:
		return k + "\x00" + d.Object()
	}
}

// domainKey identifies a domain: IDs are unique per host.
type domainKey struct{ host, id string }

// verdict checks one grouped denial against p.
func verdict(p *policy.Policy, d audit.Denial) *PolicyVerdict {
	fs, net, scopes, other := d.Rights()
	var missing []string
	if fs != 0 {
		missing = append(missing, p.MissingFS(d.Path, fs).Names()...)
	}
	if net != 0 && d.Port >= 0 && d.Port <= 0xffff {
		missing = append(missing, p.MissingNet(uint16(d.Port), net).Names()...)
	}
	missing = append(missing, p.ScopesDenied(scopes).Names()...)
	return &PolicyVerdict{Allows: len(missing) == 0 && len(other) == 0, Missing: missing, Unfixable: other}
}

// sortRights orders right names as the kernel's bit order (fs, net,
// scopes), unknown names last.
func sortRights(names []string) {
	rank := func(n string) int {
		for i, r := range policy.Rights() {
			if r.Name == n {
				return i
			}
		}
		return 1 << 20
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
}

func sortedBlockers(bs []string) []string {
	out := append([]string(nil), bs...)
	names := make(map[string]string, len(out))
	for _, b := range out {
		n := b
		if r, ok := policy.LookupRight(b); ok {
			n = r.Name
		}
		names[n] = b
	}
	keys := make([]string, 0, len(names))
	for n := range names {
		keys = append(keys, n)
	}
	sort.Strings(keys)
	sortRights(keys)
	out = out[:0]
	for _, n := range keys {
		out = append(out, names[n])
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func containsInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// Summary aggregates denials from many logs and hosts: which hosts,
// executables, rights and domains they come from, most frequent first.
type Summary struct {
	Denials    int     `json:"denials"`
	Domains    int     `json:"domains"`
	Hosts      []Count `json:"by_host"`
	Executable []Count `json:"by_executable"`
	Rights     []Count `json:"by_right"`
	ByDomain   []Count `json:"by_domain"`
}

// Count is one line of a Summary table.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
	// Detail says more about the key: a domain's creator.
	Detail string `json:"detail,omitempty"`
}

// Summarize counts ds by host, executable, right and domain.
func Summarize(ds []audit.Denial, doms []audit.Domain) Summary {
	a := NewAggregator(nil)
	for _, d := range ds {
		a.Add(d)
	}
	return a.Summary(doms)
}

// Summary counts the denials added by host, executable, right and domain.
func (a *Aggregator) Summary(doms []audit.Domain) Summary {
	detail := map[string]string{}
	for _, dm := range doms {
		if dm.Allocated {
			detail[domainLabel(dm.Host, dm.ID)] = "created by " + dm.Exe
		}
	}
	return Summary{Denials: a.n, Domains: len(a.dom), Hosts: a.host.sorted(nil), Executable: a.exe.sorted(nil),
		Rights: a.right.sorted(nil), ByDomain: a.dom.sorted(detail)}
}

func domainLabel(host, id string) string {
	if host == "" {
		return id
	}
	return host + "/" + id
}

type counter map[string]int

func (c counter) add(k string) { c[k]++ }

func (c counter) sorted(detail map[string]string) []Count {
	out := make([]Count, 0, len(c))
	for k, n := range c {
		out = append(out, Count{Key: k, Count: n, Detail: detail[k]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return strings.Compare(out[i].Key, out[j].Key) < 0
	})
	return out
}
