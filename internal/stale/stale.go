// Package stale names the temporary files and directories a landlearn
// process makes after that process (pid and start time), so that the next
// landlearn can remove what a killed one left behind without touching
// what a running one still uses.
package stale

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/internal/procfs"
)

// Prefixes of what landlearn leaves in $TMPDIR: the copy of the working
// directory that audit rounds restore (a directory), and the observations
// of a learn run without --raw (a file).
const (
	ResetPrefix = "landlearn-reset-"
	RawPrefix   = "landlearn-"
)

// Tag names this process: "PID.START", START its start time in clock
// ticks after boot (/proc/PID/stat field 22), so that a reused pid is not
// taken for the same process.
func Tag() string {
	pid := os.Getpid()
	start, _ := procfs.StartTime(pid)
	return fmt.Sprintf("%d.%d", pid, start)
}

// Pattern is the os.MkdirTemp / os.CreateTemp pattern for prefix and this
// process, with suffix after the random part (".jsonl").
func Pattern(prefix, suffix string) string {
	return prefix + Tag() + "-*" + suffix
}

// Clean removes, from dir, the reset copies of landlearn processes that no
// longer run, and their observation files when they hold no observation
// (only the header line, or nothing; one with observations holds what a
// killed learner saw: it is kept). It returns what it
// removed. Entries without a tag, and those of running processes, are
// left alone.
func Clean(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		var tag string
		isReset := strings.HasPrefix(name, ResetPrefix)
		switch {
		case isReset && e.IsDir():
			tag = strings.TrimPrefix(name, ResetPrefix)
		case !isReset && strings.HasPrefix(name, RawPrefix) && strings.HasSuffix(name, ".jsonl") && e.Type().IsRegular():
			tag = strings.TrimPrefix(name, RawPrefix)
		default:
			continue
		}
		tag, _, ok := strings.Cut(tag, "-")
		if !ok || alive(tag) {
			continue
		}
		p := filepath.Join(dir, name)
		if !isReset && !noObservations(p) {
			continue
		}
		if err := os.RemoveAll(p); err == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// noObservations says whether the observations file at p holds at most
// its header line: nothing a user would want back.
func noObservations(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	lines := 0
	var buf [64 << 10]byte
	for {
		n, err := f.Read(buf[:])
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if lines > 1 {
			return false
		}
		if err != nil {
			return true
		}
	}
}

// alive says whether the process a tag names still runs. A tag that does
// not parse counts as alive: it is not landlearn's to remove.
func alive(tag string) bool {
	pidStr, startStr, ok := strings.Cut(tag, ".")
	pid, err1 := strconv.Atoi(pidStr)
	start, err2 := strconv.ParseUint(startStr, 10, 64)
	if !ok || err1 != nil || err2 != nil || pid <= 0 {
		return true
	}
	now, err := procfs.StartTime(pid)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	return err != nil || now == start
}
