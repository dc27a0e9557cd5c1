package learn

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// EphemeralPort says whether port is in this machine's
// ip_local_port_range, from which bind(0) and connect() pick a port. A
// connect_tcp rule on such a port may name a port that a server of the
// program got from bind(0) in one run, and will not get again.
func EphemeralPort(port uint16) bool {
	lo, hi := localPortRange()
	return int(port) >= lo && int(port) <= hi
}

// OwnEphemeralWarning is the tracer's warning on a connect to an
// ephemeral port on which the traced program itself listens.
const OwnEphemeralWarning = "connect_tcp to a port in the ephemeral range (ip_local_port_range) on which the program itself listens: " +
	"if its server got the port from bind(0), the port changes from run to run and the rule for it will not match the next run; " +
	"give the server a fixed port, or leave connect_tcp out of handled.net"

// WarningKind names a warning that code acts on: Observation.WarningKind.
type WarningKind uint8

// WarnOwnEphemeral marks OwnEphemeralWarning. Audit learning stops
// chasing a port that changes from run to run at once when the trace
// run saw it.
const WarnOwnEphemeral WarningKind = 1

// localPortRange is the kernel's range, or its default when it cannot be
// read.
var localPortRange = sync.OnceValues(func() (int, int) {
	const lo, hi = 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return lo, hi
	}
	l, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || l > h {
		return lo, hi
	}
	return l, h
})
