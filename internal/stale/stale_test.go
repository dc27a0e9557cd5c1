package stale

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/landlearn/landlearn/internal/procfs"
)

// Clean removes what a process that no longer runs left (its reset copy,
// its empty observations file), and nothing of a running one, nor a kept
// non-empty observations file, nor names that are not landlearn's.
func TestClean(t *testing.T) {
	dir := t.TempDir()
	// A tag of a process that ran and exited.
	c := exec.Command("true")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	start, err := procfs.StartTime(c.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	dead := strconv.Itoa(c.Process.Pid) + "." + strconv.FormatUint(start, 10)
	c.Wait()
	paths := map[string]string{
		"dead reset":     filepath.Join(dir, ResetPrefix+dead+"-x1"),
		"live reset":     filepath.Join(dir, ResetPrefix+Tag()+"-x2"),
		"dead empty raw": filepath.Join(dir, RawPrefix+dead+"-x3.jsonl"),
		"dead full raw":  filepath.Join(dir, RawPrefix+dead+"-x4.jsonl"),
		"dead header":    filepath.Join(dir, RawPrefix+dead+"-x6.jsonl"),
		"live empty raw": filepath.Join(dir, RawPrefix+Tag()+"-x5.jsonl"),
		"untagged":       filepath.Join(dir, RawPrefix+"12345.jsonl"),
	}
	for what, p := range paths {
		var err error
		switch what {
		case "dead reset", "live reset":
			err = os.MkdirAll(filepath.Join(p, "sub"), 0o700)
		case "dead full raw":
			err = os.WriteFile(p, []byte("{\"header\":1}\n{}\n"), 0o600)
		case "dead header":
			err = os.WriteFile(p, []byte("{\"header\":1}\n"), 0o600)
		default:
			err = os.WriteFile(p, nil, 0o600)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	removed := Clean(dir)
	slices.Sort(removed)
	want := []string{paths["dead empty raw"], paths["dead header"], paths["dead reset"]}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for what, p := range paths {
		_, err := os.Stat(p)
		if gone := err != nil; gone != slices.Contains(want, p) {
			t.Errorf("%s: gone %v", what, gone)
		}
	}
}
