package minimize

// Shortcuts taken on the hot path, each against what it stands for.

import (
	"path"
	"strconv"
	"testing"
)

func TestCleanDir(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b", "/a/b/c.txt", "/tmp/x"} {
		if got, want := cleanDir(p), path.Dir(p); got != want {
			t.Errorf("cleanDir(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestAtoi(t *testing.T) {
	for _, s := range []string{"", "0", "1", "12345", "007", "+5", "-5", "--5", "5-", "self", "sys", "1a", "99999999999999999999", "4194304"} {
		n, ok := atoi(s)
		wn, err := strconv.Atoi(s)
		if ok != (err == nil) || ok && n != wn {
			t.Errorf("atoi(%q) = %d, %t; strconv.Atoi says %d, %v", s, n, ok, wn, err)
		}
	}
}
