// Package session switches the kernel's audit on for landlearn and puts
// it back. [Acquire] enables audit and raises the backlog limit when they
// are off or low; the last landlearn process to [Session.Release]
// restores the enabled flag and the backlog limit it found. The settings
// are global, so every landlearn process (and every test binary)
// registers in a state file ([StatePath]) under a lock file
// (/run/lock/landlearn-audit.lock), and a process killed with SIGKILL is
// cleaned up by the next one. Callers release on every way out, Ctrl-C
// included.
//
// It changes only the enabled flag and the backlog limit, never the
// audit PID, and it reads no records (see live).
package session
