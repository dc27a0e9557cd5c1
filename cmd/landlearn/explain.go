package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/explain"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// explainFlags are the flags of `landlearn explain`.
type explainFlags struct {
	policy  string
	summary bool
	json    bool
	vars    []string
}

func init() {
	var f explainFlags
	cmd := &cobra.Command{
		Use:   "explain [-p POLICY] [--var K=V]... [--summary] [--json] [FILE...|-]",
		Short: "Read Landlock denials from audit logs and say how to fix them",
		Long: `Read the Landlock records (LANDLOCK_ACCESS 1423, LANDLOCK_DOMAIN 1424) of
audit logs and explain them: for each Landlock domain, the program that
created it (exe, pid, uid) and its lifetime, then every denied object (a
path, a TCP port, a process, an abstract unix socket) with the rights that
were missing, which programs asked, where the record is, and the YAML rule
that would allow it. A scope denial (signal, abstract_unix_socket) has no
rule; ptrace of an outside process is never allowed: explain says so.

It reads FILEs, or stdin when there is none or FILE is "-":
  - /var/log/audit/audit.log, raw or ENRICHED (auditd 3.0 writes
    type=UNKNOWN[1423], newer auditd type=LANDLOCK_ACCESS), with node= names;
  - ausearch --raw output, and ausearch's default output ("----" lines);
  - kernel console lines (dmesg: "audit: type=1423 audit(...)");
  - journalctl -o json output (its MESSAGE and _AUDIT_* fields);
  - any of these gzip-compressed (a rotated audit.log.2.gz).
Not ausearch -i: it has decoded the hex already; use ausearch --raw.
Lines that are not audit records, truncated records, records of other
types, hex that does not decode and lines longer than 1 MiB are skipped and
counted on stderr. Memory grows with the objects denied, not with the logs.

With -p, each object also says whether POLICY already allows it (variables
expanded with their defaults or --var, symlinks resolved on this machine).
If it does, the denial came from another layer: a nested domain, another
policy, an older version of this one.

--summary aggregates many files from many hosts: denials per host,
executable, right and domain. --json prints one JSON object, "version": 1,
  files    per file: name, lines, records, landlock, skipped (by reason)
  stats    lines, records, by_type, skipped, landlock, unjoined, first_skipped
  domains  domain, host, creator {exe, comm, pid, uid, mode}, first_denial,
           deallocated, denials, logged, parent, objects: [{object, kind,
           path, port, rights, count, executables, syscalls, pids, first,
           last, sources, fix, policy {allows, missing, unfixable}}]
  summary  denials, domains, by_host, by_executable, by_right, by_domain
           (each a list of {key, count, detail}, most frequent first)

Exit status: 1 when the input holds denials, 0 when it holds none (a file
without any Landlock record is reported on stderr), 2 when a file cannot be
read or on a usage or policy error.`,
		Example: `  # Why was my sandboxed program denied? Fix rules for each denial:
  landlearn explain /var/log/audit/audit.log
  domain 18db492b1
    created by /usr/local/bin/landlearn (comm landlearn, pid 16693, uid 1000), mode enforcing
    first denial 2026-11-27 05:05:03.146 UTC; deallocated ... after 2 denials (2 logged here)

    /etc/hostname: read_file denied 1 time to /usr/bin/cat (openat) [audit.log:8]
      - path: /etc/hostname
        access: [read_file]

  # The last ten minutes, through ausearch; does policy.yaml allow it all?
  ausearch --raw -m 1423,1424,1300 -ts recent | landlearn explain -p policy.yaml

  # The fleet: logs of many hosts, aggregated, as JSON for a dashboard
  landlearn explain --summary --json host-*/audit.log
  journalctl -o json _TRANSPORT=audit | landlearn explain --summary`,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd, args, f)
		},
	}
	cmd.Flags().StringVarP(&f.policy, "policy", "p", "", "say whether this policy (YAML) already allows each denial")
	cmd.Flags().BoolVar(&f.summary, "summary", false, "aggregate: denials per host, executable, right and domain")
	cmd.Flags().BoolVar(&f.json, "json", false, "print one JSON object (stable field names, see --help)")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "with -p: give the policy variable K the value V (repeatable)")
	cmd.MarkFlagFilename("policy", "yaml", "yml")
	rootCmd.AddCommand(cmd)
}

// fileReport is what explain tells about one input file.
type fileReport struct {
	Name     string         `json:"name"`
	Lines    int            `json:"lines"`
	Records  int            `json:"records"`
	Landlock int            `json:"landlock"`
	Skipped  map[string]int `json:"skipped"`
	Error    string         `json:"error,omitempty"`
}

// explainJSON is the document --json prints.
type explainJSON struct {
	Version int              `json:"version"`
	Files   []fileReport     `json:"files"`
	Stats   audit.Stats      `json:"stats"`
	Domains any              `json:"domains"`
	Summary *explain.Summary `json:"summary"`
}

func runExplain(cmd *cobra.Command, args []string, f explainFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	p, err := explainPolicy(f)
	if err != nil {
		return err
	}
	if len(f.vars) > 0 && f.policy == "" {
		return usageErrorf("--var sets policy variables; it needs -p POLICY")
	}
	if len(args) == 0 {
		if isTerminal(os.Stdin) {
			return usageErrorf("no log to read: name a file (such as /var/log/audit/audit.log) or pipe one in (ausearch --raw -m 1423,1424,1300 | landlearn explain)\nRun 'landlearn explain --help' for usage.")
		}
		args = []string{"-"}
	}

	// Denials are aggregated as the logs are read: memory grows with the
	// objects denied, not with the size of the logs.
	agg := explain.NewAggregator(p)
	agg.Fixes = func(obs []learn.Observation) audit.Namer {
		vars, _ := parseVars(f.vars) // checked by explainPolicy
		return minimize.Fixes(obs, &learn.Header{Version: learn.FormatVersion, Vars: vars}, minimizeOptions(shape{Collapse: minimize.DefaultCollapse}, vars, nil))
	}
	c := audit.NewCorrelator()
	c.Stream(agg.Add)
	var files []fileReport
	unreadable, interpreted := 0, 0
	for _, name := range args {
		fr, err := readAuditFile(c, name, cmd.InOrStdin())
		if err != nil {
			unreadable++
			fr.Error = err.Error()
			fmt.Fprintf(stderr, "landlearn: %v\n", err)
		}
		files = append(files, fr)
		if err == nil {
			reportFile(stderr, fr)
		}
		if fr.Skipped["interpreted"] > 0 && fr.Landlock == 0 {
			// ausearch -i output and nothing else: a log landlearn
			// cannot read, not one without denials.
			interpreted++
		}
	}
	c.Flush()

	doms := c.Domains()
	if f.json {
		doc := explainJSON{Version: 1, Files: files, Stats: c.Stats(), Domains: []explain.DomainExplanation{}}
		if e := agg.Explanation(doms); e.Domains != nil {
			doc.Domains = e.Domains
		}
		s := agg.Summary(doms)
		doc.Summary = &s
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return &exitError{Code: exitUsage, Err: err}
		}
	} else if agg.Count() > 0 || len(doms) > 0 {
		var err error
		if f.summary {
			err = agg.Summary(doms).WriteText(stdout)
		} else {
			err = agg.Explanation(doms).WriteText(stdout)
		}
		if err != nil {
			return &exitError{Code: exitUsage, Err: err}
		}
	}
	if read := len(args) - unreadable; !f.json && read > 0 {
		fmt.Fprintln(stderr, explainVerdict(agg, doms, read))
	}
	switch {
	case unreadable > 0 || interpreted > 0:
		return exitWith(exitUsage)
	case agg.Count() > 0:
		return exitWith(exitFinding)
	}
	return nil
}

// explainPolicy loads, expands and resolves -p POLICY, or returns nil.
func explainPolicy(f explainFlags) (*policy.Policy, error) {
	if f.policy == "" {
		return nil, nil
	}
	vars, err := parseVars(f.vars)
	if err != nil {
		return nil, err
	}
	p, err := policy.LoadFile(f.policy)
	if err != nil {
		return nil, &exitError{Code: exitUsage, Err: err}
	}
	if p, err = p.Expand(vars); err != nil {
		return nil, &exitError{Code: exitUsage, Err: err}
	}
	if p, err = p.ResolveSymlinks(); err != nil {
		return nil, &exitError{Code: exitUsage, Err: err}
	}
	return p, nil
}

// readAuditFile adds the records of one file ("-" is stdin) to c and
// returns what that file contributed.
func readAuditFile(c *audit.Correlator, name string, stdin io.Reader) (fileReport, error) {
	fr := fileReport{Name: name}
	var r io.Reader
	if name == "-" {
		fr.Name = "stdin"
		r = stdin
	} else {
		fh, err := os.Open(name)
		if err != nil {
			return fr, fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
		}
		defer fh.Close()
		if st, err := fh.Stat(); err == nil && st.IsDir() {
			return fr, fmt.Errorf("%s is a directory; did you mean %s/audit.log?", name, strings.TrimSuffix(name, "/"))
		}
		r = fh
	}
	r, err := maybeGunzip(r)
	if err != nil {
		return fr, fmt.Errorf("read %s: %w", fr.Name, err)
	}
	before := c.Stats()
	if err := c.ReadLog(r, fr.Name); err != nil {
		return fr, err
	}
	after := c.Stats()
	fr.Lines = after.Lines - before.Lines
	fr.Records = after.Records - before.Records
	fr.Landlock = after.Landlock - before.Landlock
	fr.Skipped = map[string]int{}
	for k, n := range after.Skipped {
		if d := n - before.Skipped[k]; d > 0 {
			fr.Skipped[k] = d
		}
	}
	return fr, nil
}

// maybeGunzip decompresses a gzip stream (a rotated audit.log.2.gz),
// recognized by its magic bytes rather than its name, so stdin works too.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil
	}
	return gzip.NewReader(br)
}

// unwrapPath drops *PathError's "open NAME:" prefix, which the message
// already names.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// reportFile tells on stderr what could not be used in a file, and when
// it held no Landlock record at all.
func reportFile(w io.Writer, fr fileReport) {
	if len(fr.Skipped) > 0 {
		var parts []string
		total := 0
		keys := make([]string, 0, len(fr.Skipped))
		for k := range fr.Skipped {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%d %s", fr.Skipped[k], k))
			total += fr.Skipped[k]
		}
		fmt.Fprintf(w, "landlearn: %s: skipped %d of %d lines (%s)\n", fr.Name, total, fr.Lines, strings.Join(parts, ", "))
		if fr.Skipped["interpreted"] > 0 {
			fmt.Fprintf(w, "landlearn: %s: ausearch -i output has the hex decoded already; run ausearch --raw instead\n", fr.Name)
		}
	}
	if fr.Landlock == 0 {
		fmt.Fprintf(w, "landlearn: %s: no Landlock records in %d lines (%d audit records of other types)\n", fr.Name, fr.Lines, fr.Records)
	}
}

// explainVerdict is the last line on stderr: what was found, and a hint
// when nothing was.
func explainVerdict(agg *explain.Aggregator, doms []audit.Domain, files int) string {
	n := agg.Count()
	if n == 0 {
		return fmt.Sprintf("landlearn: no Landlock denials in %d %s. A domain that denies nothing logs nothing; "+
			"denials are logged only while audit is enabled (auditctl -e 1) and, after an exec, only for domains created with logging on (landlearn run --log)",
			files, pluralWord(files, "input"))
	}
	s := fmt.Sprintf("landlearn: %d %s in %d %s", n, pluralWord(n, "denial"), len(doms), pluralWord(len(doms), "domain"))
	if h := agg.Hosts(); h > 1 {
		s += fmt.Sprintf(" on %d hosts", h)
	}
	if u := agg.Unjoined(); u > 0 {
		s += fmt.Sprintf("; %d without their SYSCALL record (pid, exe unknown: audit rules or a partial log)", u)
	}
	return s
}

func pluralWord(n int, w string) string {
	if n == 1 {
		return w
	}
	return w + "s"
}

// isTerminal reports whether f is a terminal, where waiting for a log on
// stdin would only look like a hang.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
