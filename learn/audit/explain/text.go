package explain

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/landlearn/landlearn/internal/textsafe"
)

// timeLayout prints record times in UTC with the kernel's millisecond
// precision, so that output does not depend on the reader's time zone.
const timeLayout = "2006-01-02 15:04:05.000 UTC"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// WriteText prints the explanation for people: per domain its creator and
// lifetime, then each denied object with the rights, who asked, where the
// record is, and the rule that fixes it.
func (e Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	for i, d := range e.Domains {
		if i > 0 {
			b.WriteString("\n")
		}
		writeDomain(&b, d)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeDomain(b *strings.Builder, d DomainExplanation) {
	fmt.Fprintf(b, "domain %s", textsafe.Inline(d.ID))
	if d.Host != "" {
		fmt.Fprintf(b, " on %s", textsafe.Name(d.Host))
	}
	b.WriteString("\n")
	if c := d.Creator; c != nil {
		fmt.Fprintf(b, "  created by %s (comm %s, pid %d, uid %d), mode %s\n",
			textsafe.Name(c.Exe), textsafe.Name(c.Comm), c.PID, c.UID, textsafe.Inline(c.Mode))
	} else {
		b.WriteString("  creator unknown: its allocation record is not in the input (a rotated or filtered log?)\n")
	}
	if d.Parent != "" {
		fmt.Fprintf(b, "  nested: its creator was itself confined by domain %s\n", textsafe.Inline(d.Parent))
	}
	if d.FirstDenial.IsZero() {
		b.WriteString("  no denial of it in this input")
	} else {
		fmt.Fprintf(b, "  first denial %s", fmtTime(d.FirstDenial))
	}
	switch {
	case d.Deallocated != nil && d.DenialsRecord != "":
		fmt.Fprintf(b, "; deallocated %s; its record's count denials=%s is impossible, a damaged or forged log? (%d logged here)\n",
			fmtTime(*d.Deallocated), textsafe.Inline(d.DenialsRecord), d.Logged)
	case d.Deallocated != nil:
		fmt.Fprintf(b, "; deallocated %s after %s (%d logged here)\n", fmtTime(*d.Deallocated), plural(int(d.Denials), "denial"), d.Logged)
		if d.Denials > int64(d.Logged) {
			fmt.Fprintf(b, "  %d denials are not in this input: rate limits, audit rules or log flags dropped them, or the log is partial\n",
				d.Denials-int64(d.Logged))
		}
	default:
		fmt.Fprintf(b, "; %s logged; no deallocation record (still running when the log ends?)\n", plural(d.Logged, "denial"))
	}
	for _, o := range d.Objects {
		writeObject(b, o)
	}
}

// writeObject prints one denied object. The names in it come from the
// log (file names, executables, comm, host names that a sandboxed
// program or a remote host chose) and are printed through textsafe.
func writeObject(b *strings.Builder, o ObjectDenial) {
	times := plural(o.Count, "time")
	object := textsafe.Inline(o.Object)
	if o.Path != "" && o.Object == o.Path {
		object = textsafe.Name(o.Path)
	}
	fmt.Fprintf(b, "\n  %s: %s denied %s", object, textsafe.Inline(strings.Join(o.Rights, ", ")), times)
	if len(o.Executables) > 0 {
		fmt.Fprintf(b, " to %s", listSome(textsafe.Names(o.Executables), 3))
	}
	if len(o.Syscalls) > 0 {
		fmt.Fprintf(b, " (%s)", textsafe.Inline(listSome(o.Syscalls, 4)))
	}
	if len(o.Sources) > 0 {
		fmt.Fprintf(b, " [%s]", textsafe.Inline(o.Sources[0]))
	}
	b.WriteString("\n")
	for _, l := range strings.Split(o.Fix, "\n") {
		b.WriteString("    " + textsafe.Inline(l) + "\n")
	}
	if v := o.Policy; v != nil {
		switch {
		case v.Allows:
			b.WriteString("    policy: already allows this; the denial came from another layer (a nested domain, another policy, an older version of this one)\n")
		case len(v.Missing) > 0:
			fmt.Fprintf(b, "    policy: does not allow %s\n", textsafe.Inline(strings.Join(v.Missing, ", ")))
		default:
			fmt.Fprintf(b, "    policy: no policy can allow %s\n", textsafe.Inline(strings.Join(v.Unfixable, ", ")))
		}
	}
}

// plural says "1 domain", "2 domains".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// listSome joins up to n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s (+%d more)", strings.Join(items[:n], ", "), len(items)-n)
}

// WriteText prints the summary as tables, most frequent first.
func (s Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s in %s on %s\n", plural(s.Denials, "Landlock denial"), plural(s.Domains, "domain"), plural(len(s.Hosts), "host"))
	for _, t := range []struct {
		title string
		rows  []Count
	}{
		{"by host", s.Hosts},
		{"by executable", s.Executable},
		{"by right", s.Rights},
		{"by domain", s.ByDomain},
	} {
		fmt.Fprintf(&b, "\n%s:\n", t.title)
		for _, c := range t.rows {
			fmt.Fprintf(&b, "  %6d  %s", c.Count, textsafe.Name(c.Key))
			if c.Detail != "" {
				fmt.Fprintf(&b, "  (%s)", textsafe.Inline(c.Detail))
			}
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
