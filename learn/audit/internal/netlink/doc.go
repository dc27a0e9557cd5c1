// Package netlink speaks the kernel's audit netlink protocol
// (NETLINK_AUDIT) for the learn/audit packages, on sockets it opens
// itself: a Reader of the multicast group, and a Control socket for
// commands. It owns the sockets and the wire format; go-libaudit supplies
// only the layout of the audit status and the decoding of netlink errors.
//
// It must never register the process as the audit daemon (AUDIT_SET of
// the pid): the kernel would then send every record to landlearn instead
// of auditd. Nothing here can: the Control methods set only the enabled
// flag and the backlog limit.
package netlink
