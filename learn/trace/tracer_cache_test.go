package trace

import "testing"

// A thread's cached facts never pass to another thread with its tid,
// nor survive a change of owner (setuid) or an exec.
func TestThreadCacheIdentity(t *testing.T) {
	c := newThreadCache()
	id := threadID{ino: 7, uid: 1000, gid: 1000}
	e := c.get(100, id)
	e.tgid, e.exe = 90, "/usr/bin/make"
	if got := c.get(100, id); got != e {
		t.Fatal("the same thread got a fresh entry")
	}
	if got := c.get(100, threadID{ino: 8, uid: 1000, gid: 1000}); got.tgid != 0 || got.exe != "" {
		t.Errorf("a new task with tid 100 inherited %+v", got)
	}
	c.get(100, id).tgid = 90
	if got := c.get(100, threadID{ino: 7, uid: 0, gid: 1000}); got.tgid != 0 {
		t.Errorf("a change of owner kept %+v", got)
	}
	e = c.get(100, id)
	e.exe = "/usr/bin/make"
	c.dropThreadGroup(100, 90)
	if got := c.get(100, id); got.exe != "" {
		t.Errorf("an exec kept %+v", got)
	}
}
