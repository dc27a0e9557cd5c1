package trace

import (
	"encoding/binary"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/landlearn/landlearn/internal/procfs"
)

// Signals. Landlock's signal scope denies a signal to a process outside
// the sender's domain; threads of one process may always signal each
// other. The traced tree is the domain-to-be, so a signal to a process
// outside it (signal 0, a liveness probe, included) needs the scope off.
// A call that fails before the hook (no such process, EPERM by
// credentials, a bad signal number) needs nothing.
//
// Process groups: kill(0, s), kill(-pgid, s), F_SETOWN with a negative
// pid and pidfd_send_signal with PIDFD_SIGNAL_PROCESS_GROUP signal every
// member; when any member is outside the tree the scope is needed
// (Landlock drops the signals to those members, and the caller may rely
// on them). kill(-1, s) reaches every process the caller may signal, so
// it always needs the scope. The observation's target is the pid
// argument as the program gave it.

const maxSignal = 64

// signalScope is the observation that the signal scope must stay off.
func (m *mapper) signalScope(target int) *outcome {
	o := m.obs()
	o.Scope = "signal"
	o.Target = target
	return m.succeed(o)
}

// toProcess maps a signal sent to process pid (a thread id names its
// process too).
func (m *mapper) toProcess(pid, given int, checkCreds bool) *outcome {
	st, ok := m.outside(pid) // not ok also for ESRCH
	if !ok {
		return nil
	}
	if checkCreds && !m.maySignal(st) {
		return nil // EPERM
	}
	return m.signalScope(given)
}

// toGroup maps a signal to every member of process group pgrp.
func (m *mapper) toGroup(pgrp, given int) *outcome {
	for _, pid := range groupMembers(pgrp) {
		if pid != m.c.PID && !m.t.InTree(pid) {
			return m.signalScope(given)
		}
	}
	return nil
}

// prepKill maps kill and rt_sigqueueinfo.
func prepKill(m *mapper) *outcome {
	pid, sig := m.intArg(arg0), m.intArg(arg1)
	if sig < 0 || sig > maxSignal {
		return nil
	}
	switch {
	case pid > 0:
		return m.toProcess(pid, pid, true)
	case m.e.name == "rt_sigqueueinfo":
		return nil // ESRCH: no group form
	case pid == 0:
		return m.toGroup(processGroup(m.c.PID), pid)
	case pid == -1:
		return m.signalScope(pid)
	}
	return m.toGroup(-pid, pid)
}

// prepTkill maps tkill(tid, sig): the thread's process decides.
func prepTkill(m *mapper) *outcome {
	tid, sig := m.intArg(arg0), m.intArg(arg1)
	if tid <= 0 || sig < 0 || sig > maxSignal {
		return nil
	}
	return m.toProcess(tid, tid, true)
}

// prepTgkill maps tgkill(tgid, tid, sig) and rt_tgsigqueueinfo.
func prepTgkill(m *mapper) *outcome {
	tgid, sig := m.intArg(arg0), m.intArg(arg2)
	if tgid <= 0 || m.intArg(arg1) <= 0 || sig < 0 || sig > maxSignal {
		return nil
	}
	return m.toProcess(tgid, tgid, true)
}

// pidfdSignalProcessGroup is PIDFD_SIGNAL_PROCESS_GROUP.
const pidfdSignalProcessGroup = 1 << 2

// prepPidfdSignal maps pidfd_send_signal: the pidfd's process, read from
// /proc/PID/fdinfo.
func prepPidfdSignal(m *mapper) *outcome {
	sig := m.intArg(arg1)
	if sig < 0 || sig > maxSignal {
		return nil
	}
	pid, ok := pidfdPid(m.c.PID, m.intArg(arg0))
	if !ok {
		return nil
	}
	if m.arg(arg3)&pidfdSignalProcessGroup != 0 {
		return m.toGroup(processGroup(pid), pid)
	}
	return m.toProcess(pid, pid, true)
}

// fcntl commands that set the SIGIO/SIGURG owner, and f_owner_ex types.
const (
	fSetown    = 8
	fSetownEx  = 15
	fOwnerTID  = 0
	fOwnerPID  = 1
	fOwnerPGRP = 2
)

// prepFcntl maps F_SETOWN and F_SETOWN_EX: Landlock records the domain
// when the owner is set and silently drops SIGIO/SIGURG to an owner
// outside it.
func prepFcntl(m *mapper) *outcome {
	switch m.intArg(arg1) {
	case fSetown:
		pid := m.intArg(arg2)
		switch {
		case pid > 0:
			return m.toProcess(pid, pid, false)
		case pid < 0:
			return m.toGroup(-pid, pid)
		}
		return nil
	case fSetownEx:
		var b [8]byte
		if m.t.ReadMem(m.arg(arg2), b[:]) != nil {
			return nil
		}
		typ := int32(binary.LittleEndian.Uint32(b[0:]))
		pid := int(int32(binary.LittleEndian.Uint32(b[4:])))
		if pid <= 0 {
			return nil
		}
		switch typ {
		case fOwnerTID, fOwnerPID:
			return m.toProcess(pid, pid, false)
		case fOwnerPGRP:
			return m.toGroup(pid, -pid)
		}
	}
	return nil
}

// status is what /proc/PID/status tells about a process or thread.
type status struct {
	tgid      int
	uid, suid uint32
}

func procStatus(pid int) (status, bool) {
	b, err := readProc("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return status{}, false
	}
	var st status
	for _, l := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(l, ":")
		f := strings.Fields(v)
		switch k {
		case "Tgid":
			if len(f) > 0 {
				st.tgid, _ = strconv.Atoi(f[0])
			}
		case "Uid":
			if len(f) >= 3 {
				u, _ := strconv.ParseUint(f[0], 10, 32)
				s, _ := strconv.ParseUint(f[2], 10, 32)
				st.uid, st.suid = uint32(u), uint32(s)
			}
		}
	}
	return st, st.tgid > 0
}

// maySignal predicts kill_ok_by_cred, which comes before the hook. The
// tracer knows the caller's fsuid, which is its euid but for setfsuid.
func (m *mapper) maySignal(t status) bool {
	cr := m.creds()
	return !cr.known || cr.uid == 0 || cr.uid == t.uid || cr.uid == t.suid
}

// processGroup is pid's process group, 0 when unknown.
func processGroup(pid int) int {
	st, err := procfs.ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.PGrp
}

// groupMembers lists the processes of process group pgrp.
func groupMembers(pgrp int) []int {
	if pgrp <= 0 {
		return nil
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var out []int
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err == nil && processGroup(pid) == pgrp {
			out = append(out, pid)
		}
	}
	return out
}

// pidfdPid is the pid a pidfd of the caller refers to (-1 once the
// process is gone, which fails with ESRCH).
func pidfdPid(pid, fd int) (int, bool) {
	b, err := readProc("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Pid:"); ok {
			p, err := strconv.Atoi(strings.TrimSpace(v))
			return p, err == nil && p > 0
		}
	}
	return 0, false
}
