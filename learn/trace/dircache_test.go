package trace

import (
	"strconv"
	"testing"
)

// TestDirCacheBounded: the cache starts again when full, and clear
// forgets everything.
func TestDirCacheBounded(t *testing.T) {
	d := newDirCache()
	for i := range maxCachedDirs {
		d.add("/d/" + strconv.Itoa(i))
	}
	if len(d.m) != maxCachedDirs || !d.has("/d/0") {
		t.Fatalf("after %d adds: %d cached, /d/0 cached %v", maxCachedDirs, len(d.m), d.has("/d/0"))
	}
	d.add("/d/new")
	if len(d.m) != 1 || !d.has("/d/new") || d.has("/d/0") {
		t.Fatalf("a full cache should start again with the new entry: %d cached", len(d.m))
	}
	d.forget("/d/new")
	d.add("/d/x")
	d.clear()
	if d.has("/d/x") || len(d.m) != 0 {
		t.Fatal("clear kept an entry")
	}
	d.clear() // on an empty cache too
	d.add("/d/y")
	if !d.has("/d/y") {
		t.Fatal("the cache does not work after clear")
	}
}
