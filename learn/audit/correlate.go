package audit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-libaudit/v2/auparse"
)

// Correlator joins the records of audit events into denials and domains.
//
// The kernel writes one event as several records sharing a serial: the
// LANDLOCK_ACCESS record (1423) names the domain, the blockers and the
// object but no process; the SYSCALL record (1300) of the same serial has
// the pid, exe and result; the first denial of a domain brings its
// LANDLOCK_DOMAIN record (1424, status=allocated) and the domain's end
// another one (status=deallocated) in an event of its own. Records can
// come in any order and from many hosts; Add them all, then ask.
//
// Serials restart at boot, so an event is keyed by host and serial and
// records of that key more than a minute apart are different events.
type Correlator struct {
	events map[eventKey][]*event
	order  []*event
	stats  Stats
	// newest is the latest record time seen; added counts records since
	// the last prune.
	newest time.Time
	added  int
	// sink, when set (Stream), receives the denials of complete events,
	// which are then forgotten; doms holds what the forgotten events
	// told about their domains.
	sink func(Denial)
	doms domainTable
}

// pruneEvery is how many records may arrive between two prunes of the
// events that hold no Landlock record: with audit rules loaded, most
// syscall events are not Landlock's, and a long log or a live reader must
// not keep them all. A streaming Correlator also hands on its complete
// events then.
const pruneEvery = 4096

// maxPending bounds the events a streaming Correlator holds: in a denial
// storm a minute of records is more than memory should keep. The records
// of one event are written together, so an event this far behind the
// newest is complete.
const maxPending = 4096

type eventKey struct {
	host   string
	serial uint64
}

type event struct {
	key     eventKey
	time    time.Time
	seq     int // order of arrival, for stable output
	access  []Record
	domain  []Record
	syscall *syscallInfo
}

// syscallInfo is what a denial takes from its SYSCALL record: kept
// instead of the record, whose thirty-odd fields would hold the whole
// line in memory for every event of a long log.
type syscallInfo struct {
	pid, ppid, uid, exit, nr int
	exe, comm, name          string
}

func newSyscallInfo(r Record) *syscallInfo {
	f := r.Fields
	si := &syscallInfo{nr: -1, exe: strings.Clone(f["exe"]), comm: strings.Clone(f["comm"])}
	si.pid, _ = strconv.Atoi(f["pid"])
	si.ppid, _ = strconv.Atoi(f["ppid"])
	si.uid, _ = strconv.Atoi(f["uid"])
	si.exit, _ = strconv.Atoi(f["exit"])
	if n, err := strconv.Atoi(f["syscall"]); err == nil {
		si.nr = n
	}
	si.name = syscallName(f["arch"], si.nr, r.Interp["SYSCALL"])
	return si
}

// sameEventWindow bounds how far apart in time the records of one event
// can be; a reused serial (after a reboot) is further apart than that.
const sameEventWindow = time.Minute

// Stats counts what a Correlator was fed, so that a reader can say how
// much of its input it could not use instead of failing silently.
type Stats struct {
	// Lines is the number of lines given to ReadLog.
	Lines int `json:"lines"`
	// Records is the number of records parsed and added.
	Records int `json:"records"`
	// ByType counts records by type name.
	ByType map[string]int `json:"by_type"`
	// Skipped counts unusable lines by reason (truncated, bad-hex,
	// not-audit, malformed, interpreted); blank and separator lines are
	// not counted.
	Skipped map[string]int `json:"skipped"`
	// Landlock is the number of LANDLOCK_ACCESS and LANDLOCK_DOMAIN records.
	Landlock int `json:"landlock"`
	// Unjoined is the number of denials whose SYSCALL record was not
	// seen (audit rules excluded it, or the log was cut): their pid and
	// exe are unknown. Computed by Denials.
	Unjoined int `json:"unjoined"`
	// FirstSkipped is the first unusable line and why, for messages.
	FirstSkipped string `json:"first_skipped,omitempty"`
}

// NewCorrelator returns an empty Correlator.
func NewCorrelator() *Correlator {
	return &Correlator{
		events: make(map[eventKey][]*event),
		stats:  Stats{ByType: map[string]int{}, Skipped: map[string]int{}},
	}
}

// Add files one parsed record under its event.
func (c *Correlator) Add(r Record) {
	c.stats.Records++
	c.stats.ByType[r.TypeName]++
	switch r.Type {
	case TypeLandlockAccess, TypeLandlockDomain, TypeSyscall:
	default:
		return
	}
	ev := c.event(r)
	switch r.Type {
	case TypeLandlockAccess:
		c.stats.Landlock++
		r.Raw = ""
		ev.access = append(ev.access, r)
	case TypeLandlockDomain:
		c.stats.Landlock++
		r.Raw = ""
		ev.domain = append(ev.domain, r)
	case TypeSyscall:
		if ev.syscall == nil {
			ev.syscall = newSyscallInfo(r)
		}
	}
	if c.added++; c.added >= pruneEvery || c.sink != nil && len(c.order) > maxPending {
		c.prune()
	}
}

// Stream makes c hand each denial to sink as soon as its event is
// complete (older than the newest record by more than the window in which
// an event's records arrive, or more than maxPending events behind), in
// the order of Denials, and forget the event: memory then grows with the
// domains, not with the records read. Denials returns only the denials
// not handed on yet; Flush hands them on. Domains still tells everything.
func (c *Correlator) Stream(sink func(Denial)) { c.sink = sink }

// Flush hands every denial still held to the sink given to Stream.
func (c *Correlator) Flush() {
	if c.sink == nil {
		return
	}
	evs := c.sorted()
	for _, ev := range evs {
		c.hand(ev)
	}
	clear(c.events)
	c.order = c.order[:0]
}

// hand gives a complete event's denials to the sink and keeps what it
// tells about domains.
func (c *Correlator) hand(ev *event) {
	c.doms.add(ev)
	for _, r := range ev.access {
		c.sink(newDenial(r, ev.syscall))
	}
}

// prune forgets events without Landlock records that are older than the
// newest record by more than sameEventWindow: their Landlock records, if
// any, would have arrived by now. When streaming, it hands on the other
// complete events too (see Stream).
func (c *Correlator) prune() {
	c.added = 0
	horizon := c.newest.Add(-sameEventWindow)
	var done []*event
	if c.sink != nil {
		byAge := c.sorted()
		for i, ev := range byAge {
			if ev.time.Before(horizon) || i < len(byAge)-maxPending/2 {
				done = append(done, ev)
			}
		}
		for _, ev := range done {
			c.hand(ev)
		}
	}
	handed := make(map[*event]bool, len(done))
	for _, ev := range done {
		handed[ev] = true
	}
	keep := c.order[:0]
	for _, ev := range c.order {
		if handed[ev] || len(ev.access) == 0 && len(ev.domain) == 0 && ev.time.Before(horizon) {
			evs := c.events[ev.key]
			for i, x := range evs {
				if x == ev {
					evs = append(evs[:i], evs[i+1:]...)
					break
				}
			}
			if len(evs) == 0 {
				delete(c.events, ev.key)
			} else {
				c.events[ev.key] = evs
			}
			continue
		}
		keep = append(keep, ev)
	}
	clear(c.order[len(keep):])
	c.order = keep
}

func (c *Correlator) event(r Record) *event {
	if r.Time.After(c.newest) {
		c.newest = r.Time
	}
	k := eventKey{r.Host, r.Serial}
	for _, ev := range c.events[k] {
		d := ev.time.Sub(r.Time)
		if d < 0 {
			d = -d
		}
		if d <= sameEventWindow {
			return ev
		}
	}
	ev := &event{key: k, time: r.Time, seq: len(c.order)}
	c.events[k] = append(c.events[k], ev)
	c.order = append(c.order, ev)
	return ev
}

// addLine parses one log line and adds its record, naming it source
// ("file:line"; "" when unknown). A line that is not a record is counted
// in Stats, with the first one's error.
func (c *Correlator) addLine(line, source string) {
	c.stats.Lines++
	r, err := parseLine(line)
	if err != nil {
		if !errors.Is(err, errBlank) {
			c.skip(source, err)
		}
		return
	}
	r.Source = source
	c.Add(r)
}

// skip counts the unusable line source (the Lines-th) by err's reason.
func (c *Correlator) skip(source string, err error) {
	c.stats.Skipped[reason(err)]++
	if c.stats.FirstSkipped == "" {
		where := source
		if where == "" {
			where = "line " + strconv.Itoa(c.stats.Lines)
		}
		c.stats.FirstSkipped = where + ": " + err.Error()
	}
}

// MaxLineSize bounds one line of a log. The kernel's audit records are at
// most 8970 bytes (MAX_AUDIT_MESSAGE_LENGTH), and the formats around them
// (node=, auditd's ENRICHED fields, journalctl's JSON) a few times that; a
// longer line is skipped and counted as oversized, and never held whole.
const MaxLineSize = 1 << 20

// ReadLog adds every line of rd, naming them name:N in Record.Source.
// Bad lines are counted and skipped; only a read error stops it. A line
// longer than MaxLineSize is read through without being kept.
func (c *Correlator) ReadLog(rd io.Reader, name string) error {
	br := bufio.NewReaderSize(rd, 64<<10)
	var line []byte
	for n := 1; ; n++ {
		line = line[:0]
		oversized := false
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			if !oversized && len(line)+len(chunk) > MaxLineSize {
				oversized, line = true, line[:0]
			}
			if !oversized {
				line = append(line, chunk...)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		source := name + ":" + strconv.Itoa(n)
		switch {
		case oversized:
			c.stats.Lines++
			c.skip(source, parseErr(errOversized, "", "longer than %d bytes", MaxLineSize))
		case len(line) > 0:
			c.addLine(string(line), source)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}

// Stats returns the counters so far (the maps are copies).
func (c *Correlator) Stats() Stats {
	s := c.stats
	s.ByType = copyCounts(c.stats.ByType)
	s.Skipped = copyCounts(c.stats.Skipped)
	s.Unjoined = 0
	for _, ev := range c.order {
		if ev.syscall == nil {
			s.Unjoined += len(ev.access)
		}
	}
	return s
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Denials returns one Denial per LANDLOCK_ACCESS record, joined with the
// SYSCALL record of its event, ordered by time, host, serial and then
// the order the records came in.
func (c *Correlator) Denials() []Denial {
	var out []Denial
	for _, ev := range c.sorted() {
		for _, r := range ev.access {
			out = append(out, newDenial(r, ev.syscall))
		}
	}
	return out
}

func (c *Correlator) sorted() []*event {
	evs := append([]*event(nil), c.order...)
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if !a.time.Equal(b.time) {
			return a.time.Before(b.time)
		}
		if a.key.host != b.key.host {
			return a.key.host < b.key.host
		}
		if a.key.serial != b.key.serial {
			return a.key.serial < b.key.serial
		}
		return a.seq < b.seq
	})
	return evs
}

func newDenial(r Record, sc *syscallInfo) Denial {
	f := r.Fields
	d := Denial{
		Time:     r.Time,
		Serial:   r.Serial,
		Host:     r.Host,
		Domain:   f["domain"],
		Blockers: splitList(f["blockers"]),
		Path:     f["path"],
		Dev:      f["dev"],
		Ioctl:    f["ioctlcmd"],
		Port:     -1,
		Ocomm:    f["ocomm"],
		Fields:   f,
		Source:   r.Source,
	}
	if d.Path == "" {
		d.Path = f["name"]
	}
	d.Ino, _ = strconv.ParseUint(f["ino"], 10, 64)
	d.Opid, _ = strconv.Atoi(f["opid"])
	for _, k := range []string{"dest", "src", "dport", "sport", "lport", "fport"} {
		if p, err := strconv.Atoi(f[k]); err == nil {
			d.Port = p
			break
		}
	}
	for _, k := range []string{"daddr", "saddr", "faddr", "laddr"} {
		if a := f[k]; a != "" {
			d.Addr = a
			break
		}
	}
	if d.Port < 0 {
		// lsm_audit omits a zero port: a denied net right without one
		// was asked for port 0 (an ephemeral bind, or connect to 0).
		for _, b := range d.Blockers {
			if strings.HasPrefix(b, "net.") {
				d.Port = 0
			}
		}
	}
	if sc == nil {
		d.Syscall = -1
		return d
	}
	d.Joined = true
	d.PID, d.PPID, d.UID, d.Exit, d.Syscall = sc.pid, sc.ppid, sc.uid, sc.exit, sc.nr
	d.Exe, d.Comm, d.SyscallName = sc.exe, sc.comm, sc.name
	return d
}

// syscallName names syscall number n of the audit arch (c000003e...),
// preferring auditd's own translation when the log has one.
func syscallName(arch string, n int, interp string) string {
	if interp != "" {
		return interp
	}
	a, err := strconv.ParseUint(arch, 16, 32)
	if err != nil || n < 0 {
		return ""
	}
	return auparse.AuditSyscalls[auparse.AuditArch(a).String()][n]
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Domains returns what the LANDLOCK_DOMAIN records and the denials tell
// about each domain, ordered by first appearance in time. A domain whose
// denials are in the input but whose allocation record is not (a rotated
// log) is listed with Allocated unset.
func (c *Correlator) Domains() []Domain {
	t := c.doms.clone()
	for _, ev := range c.sorted() {
		t.add(ev)
	}
	out := make([]Domain, 0, len(t.order))
	for _, k := range t.order {
		out = append(out, *t.byID[k])
	}
	return out
}

// domainTable is what events told about their domains, in order of
// first appearance.
type domainTable struct {
	byID  map[domainKey]*Domain
	order []domainKey
}

func (t *domainTable) get(host, id string) *Domain {
	k := domainKey{host, id}
	d, ok := t.byID[k]
	if !ok {
		if t.byID == nil {
			t.byID = map[domainKey]*Domain{}
		}
		d = &Domain{ID: id, Host: host}
		t.byID[k] = d
		t.order = append(t.order, k)
	}
	return d
}

// add folds one event's records into t.
func (t *domainTable) add(ev *event) {
	for _, r := range ev.access {
		t.get(r.Host, r.Fields["domain"]).Logged++
	}
	for _, r := range ev.domain {
		d := t.get(r.Host, r.Fields["domain"])
		f := r.Fields
		switch f["status"] {
		case "allocated":
			d.Allocated = true
			d.Mode = f["mode"]
			d.PID, _ = strconv.Atoi(f["pid"])
			d.UID, _ = strconv.Atoi(f["uid"])
			d.Exe = f["exe"]
			d.Comm = f["comm"]
			d.AllocatedAt = r.Time
		case "deallocated":
			d.Deallocated = true
			n, err := strconv.ParseUint(f["denials"], 10, 64)
			d.BadDenials = err != nil || n > math.MaxInt64
			if d.BadDenials {
				n = 0
			}
			d.Denials, d.DenialsField = n, f["denials"]
			d.DeallocatedAt = r.Time
		}
	}
}

// clone copies t, so that Domains can add the events still held.
func (t domainTable) clone() domainTable {
	out := domainTable{byID: make(map[domainKey]*Domain, len(t.byID)), order: slices.Clone(t.order)}
	for k, d := range t.byID {
		dd := *d
		out.byID[k] = &dd
	}
	return out
}

type domainKey struct{ host, id string }
