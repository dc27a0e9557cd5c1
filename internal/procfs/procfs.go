// Package procfs reads what landlearn needs of a process from /proc: its
// parent and process group, its start time, and the processes below it;
// and small files in general (ReadFile). The tracer asks for a parent on
// many stopped calls, so the reads are one open, one read and one close,
// with no buffering of their own.
package procfs

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Stat holds the fields of /proc/PID/stat that landlearn uses.
type Stat struct {
	PPid, PGrp int
	// StartTime is when the process started, in clock ticks since boot:
	// with the pid, it names one process even after the pid is reused.
	StartTime uint64
}

// ReadStat reads /proc/PID/stat. The comm field may hold spaces and
// parentheses, so the fields are counted after the last ')'.
func ReadStat(pid int) (Stat, error) {
	var buf [1024]byte
	n, err := readFile("/proc/"+strconv.Itoa(pid)+"/stat", buf[:])
	if err != nil {
		return Stat{}, err
	}
	return parseStat(buf[:n])
}

func parseStat(b []byte) (Stat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return Stat{}, unix.EINVAL
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state); field N is f[N-3]
	if len(f) < 20 {
		return Stat{}, unix.EINVAL
	}
	ppid, err1 := strconv.Atoi(string(f[1]))
	pgrp, err2 := strconv.Atoi(string(f[2]))
	start, err3 := strconv.ParseUint(string(f[19]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Stat{}, unix.EINVAL
	}
	return Stat{PPid: ppid, PGrp: pgrp, StartTime: start}, nil
}

// PPid is the parent of pid.
func PPid(pid int) (int, error) {
	st, err := ReadStat(pid)
	return st.PPid, err
}

// StartTime is when pid started (Stat.StartTime).
func StartTime(pid int) (uint64, error) {
	st, err := ReadStat(pid)
	return st.StartTime, err
}

// Descendants lists the processes below root, from one scan of /proc,
// parents before their children.
func Descendants(root int) []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	children := map[int][]int{}
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if pp, err := PPid(pid); err == nil {
			children[pp] = append(children[pp], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// ReadFile reads the whole file p into buf[:0], grown as needed, and
// returns it: one open, reads until one returns nothing, one close.
// os.ReadFile costs as many system calls again on a small file (the
// runtime poller's registration and its fcntl calls, an fstat): the
// tracer reads /proc files on stopped calls, and minimize reads dpkg's
// hundreds of lists.
func ReadFile(p string, buf []byte) ([]byte, error) {
	fd, err := open(p)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: p, Err: err}
		case n == 0:
			return b, nil
		}
		b = b[:len(b)+n]
	}
}

func open(p string) (int, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return fd, nil
}

// readFile reads the file p into buf, as far as it fits: open, read,
// close.
func readFile(p string, buf []byte) (int, error) {
	fd, err := open(p)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: p, Err: err}
		case m == 0:
			return n, nil
		}
		n += m
	}
	return n, nil
}
