package trace

import "testing"

// A thread's cached facts never pass to another thread with its tid,
// nor survive a change of owner (setuid).
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
}

// An exec by a group's leader drops its root before the call is mapped
// and its executable after, and keeps the rest; one by another thread
// drops both threads' entries whole.
func TestThreadCacheExec(t *testing.T) {
	c := newThreadCache()
	id := threadID{ino: 7, uid: 1000, gid: 1000}
	fill := func(tid int) *threadEntry {
		e := c.get(tid, id)
		e.tgid, e.root, e.exe = 90, "/", "/usr/bin/make"
		e.credsOK, e.cr = true, taskCreds{euid: 1000, egid: 1000, fsuid: 1000, fsgid: 1000, groups: []int{4}}
		return e
	}
	e := fill(90)
	c.execDrop(90, 90, false)
	if e.root != "" || e.exe == "" || e.tgid != 90 || !e.credsOK {
		t.Errorf("before a leader's exec: %+v, want only the root dropped", e)
	}
	e.root = "/"
	c.execDrop(90, 90, true)
	if e.root == "" || e.exe != "" || e.tgid != 90 || !e.credsOK {
		t.Errorf("after a leader's exec: %+v, want only the executable dropped", e)
	}
	if got := c.get(90, id); got != e {
		t.Error("a leader's exec dropped its entry")
	}
	// A filesystem uid that is not the effective one (setfsuid) is
	// set back by the exec: the credentials are read again.
	e.cr.fsuid = 2000
	c.execDrop(90, 90, true)
	if e.credsOK {
		t.Errorf("an exec kept fsuid %d of a thread whose euid is %d", e.cr.fsuid, e.cr.euid)
	}
	for _, after := range []bool{false, true} {
		fill(90)
		fill(100)
		c.execDrop(100, 90, after)
		if got := c.get(100, id); got.exe != "" || got.tgid != 0 {
			t.Errorf("an exec by thread 100 of group 90 kept its entry %+v", got)
		}
		if got := c.get(90, id); got.exe != "" || got.tgid != 0 {
			t.Errorf("an exec by thread 100 of group 90 kept the leader's entry %+v", got)
		}
	}
}
