package enforce

// HelperArg is the first argument that makes landlearn act as the
// restricted-exec helper instead of its command line.
const HelperArg = "__landlearn_enforce_exec"

// HelperMain is the helper's body; it never returns.
func HelperMain(args []string) {
	panic("enforce: helper not implemented yet")
}
