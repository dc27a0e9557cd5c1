package trace

import (
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// The traced tree is every process below the keeper. The keeper is a
// child subreaper (PR_SET_CHILD_SUBREAPER), so a process whose parent
// exits is reparented to the keeper, not to init: walking PPid from any
// traced process always ends at the keeper while the process lives.
// There is no PID namespace on purpose: a signal to an outside process
// must reach it, so the signal scope can be learned.

// maxTreeDepth bounds the PPid walk; a chain longer than this is not
// a tree landlearn started.
const maxTreeDepth = 1024

// procTree answers InTree for one run.
type procTree struct{ keeper int }

// InTree reports whether pid is the keeper's descendant. The keeper
// itself is outside: under enforcement the domain starts below it.
func (t procTree) InTree(pid int) bool {
	if pid <= 1 || pid == t.keeper {
		return false
	}
	p := pid
	for range maxTreeDepth {
		pp, err := procPPid(p)
		if err != nil || pp <= 1 {
			return false
		}
		if pp == t.keeper {
			return true
		}
		p = pp
	}
	return false
}

// procPPid reads the parent pid from /proc/PID/stat. The comm field may
// hold spaces and parentheses: fields are counted after the last ')'.
func procPPid(pid int) (int, error) {
	b, err := readProc("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatPPid(b)
}

func parseStatPPid(b []byte) (int, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, unix.EINVAL
	}
	f := bytes.Fields(b[i+1:]) // state ppid ...
	if len(f) < 2 {
		return 0, unix.EINVAL
	}
	return strconv.Atoi(string(f[1]))
}

// descendants lists the processes below root, from one scan of /proc.
func descendants(root int) []int {
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
		pp, err := procPPid(pid)
		if err != nil {
			continue
		}
		children[pp] = append(children[pp], pid)
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
