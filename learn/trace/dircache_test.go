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
		d.add("/d/"+strconv.Itoa(i), cachedDir{real: "/d/" + strconv.Itoa(i)})
	}
	if len(d.m) != maxCachedDirs || !d.known("/d/0") {
		t.Fatalf("after %d adds: %d cached, /d/0 cached %v", maxCachedDirs, len(d.m), d.known("/d/0"))
	}
	d.add("/d/new", cachedDir{real: "/d/new"})
	if len(d.m) != 1 || !d.known("/d/new") || d.known("/d/0") {
		t.Fatalf("a full cache should start again with the new entry: %d cached", len(d.m))
	}
	d.forget("/d/new")
	d.add("/d/x", cachedDir{real: "/d/x"})
	d.clear()
	if d.known("/d/x") || len(d.m) != 0 {
		t.Fatal("clear kept an entry")
	}
	d.clear() // on an empty cache too
	d.add("/d/y", cachedDir{real: "/d/y"})
	if !d.known("/d/y") {
		t.Fatal("the cache does not work after clear")
	}
	// A directory reached through a symlink is kept with where it leads,
	// and so is that directory itself.
	d.add("/lib/x", cachedDir{real: "/usr/lib/x", links: 1})
	if e, ok := d.lookup("/lib/x"); !ok || e.real != "/usr/lib/x" || e.links != 1 || !d.known("/usr/lib/x") {
		t.Fatalf("/lib/x: %+v %v, /usr/lib/x cached %v", e, ok, d.known("/usr/lib/x"))
	}
}

// known says whether dir is cached (a test helper).
func (d *dirCache) known(dir string) bool {
	_, ok := d.lookup(dir)
	return ok
}
