package trace

// HelperArg is the first argument that makes landlearn act as the
// tracer's exec helper instead of its command line.
const HelperArg = "__landlearn_trace_exec"

// HelperMain is the helper's body; it never returns.
func HelperMain(args []string) {
	panic("trace: helper not implemented yet")
}
