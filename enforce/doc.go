// Package enforce applies a landlearn policy with the real kernel.
//
// There are three ways in, for three callers:
//
//   - [Restrict] sandboxes the calling Go program itself, every thread:
//     the path for a program that embeds its own learned policy.
//   - [Exec] replaces the calling process with a command running under the
//     policy (same pid, same stdio): what `landlearn run` does.
//   - [Command] returns an *exec.Cmd whose process is the command running
//     under the policy: what verify and the audit learner use, since they
//     must watch the command from outside the sandbox.
//
// All three expand the policy's variables, check that its paths exist
// (skipping missing optional ones), and compare the policy with the running
// kernel first ([Plan]). go-landlock's best-effort mode drops rights that an
// older kernel does not know without saying so; landlearn computes what is
// dropped, prints it once on stderr, and refuses the cases where a
// downgrade would silently remove the sandbox (`refer` below ABI 2, no
// Landlock at all, `compat: strict`).
//
// Why not go-landlock's Config.Restrict for Exec and Command: on kernels
// before ABI 8 it restricts every thread through libpsx, which needs extra
// rules of its own (/proc/PID/task) and is pointless right before an exec.
// Restricting only the locked thread that then calls execve(2) gives the
// new program exactly the policy's domain.
package enforce
