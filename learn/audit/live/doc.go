// Package live reads Landlock's denials from the running kernel, as they
// happen. A [Listener] joins the audit multicast group on a netlink
// socket of its own, and [Listener.Observe] runs a command between two
// fences (records landlearn logs itself, which the kernel queues behind
// everything logged before them): the [Run] holds what the command's
// domain denied, the domains its processes created themselves, and why
// records may be missing (socket overflow, serial gaps, the kernel's lost
// counter, fewer records than the domain's denial count), so that silence
// is never taken for "nothing denied" when it is not.
// [Listener.SelfCheck] proves that the listener sees denials at all.
//
// It never takes the audit PID: a running auditd keeps its log. It does
// not switch audit on (the caller holds a session.Session while it
// listens) and prints nothing.
package live
