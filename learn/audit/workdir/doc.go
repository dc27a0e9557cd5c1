// Package workdir snapshots a working directory so that every audit
// round starts from the same state: a [Snapshot] records which paths
// existed, so that what a run created is known, and, when resetting, a
// copy that [Snapshot.Restore] puts back. It refuses to copy more than
// 1 GiB. It knows nothing of audit or policies.
package workdir
