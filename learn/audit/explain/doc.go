// Package explain tells people what Landlock denied, from the denials and
// domains correlated out of audit logs (audit.Correlator): [Explain]
// groups them by domain and object, with each domain's creator and
// lifetime, the rule that fixes each object and, given a policy, whether
// it already allows it; [Summarize] counts them by host, executable,
// right and domain. Both print as text (WriteText) and marshal to JSON,
// whose field names are a stable interface (`landlearn explain --json`).
//
// It reads no file or socket: its input is already correlated.
package explain
