package enforce

import "github.com/landlearn/landlearn/policy"

// Restrict sandboxes the calling program, every thread, under p for the
// rest of its life: the path for a program that embeds its own learned
// policy.
//
//	p, err := policy.LoadFile("/etc/myapp/landlock.yaml")
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := enforce.Restrict(p); err != nil {
//		log.Fatal(err)
//	}
//
// p is expanded with policy.DefaultVars(), its paths are checked (missing
// optional paths are skipped) and it is compared with the kernel (Plan);
// what a downgrade drops is printed on os.Stderr. (A TCP rule does not
// cover MPTCP sockets on kernels with Landlock erratum 1 fixed, as Go's
// net package uses by default: MPTCPNote says whether that is the case
// here; Restrict does not print it.) Restrict refuses, with an
// error wrapping ErrUnsupported, to leave the program unsandboxed where
// Landlock is missing: a program that wants to run anyway can check for
// it with errors.Is and go on.
//
// Call it early, before the program opens what the policy should deny:
// descriptors opened before Restrict keep working. It sets no_new_privs.
// On kernels before ABI 8 go-landlock restricts the other threads through
// libpsx, which, in a cgo build, makes it grant read_dir on
// /proc/self/task as well (go-landlock issue 39).
func Restrict(p *policy.Policy) error {
	return RestrictWith(p, Options{})
}

// RestrictWith is Restrict with Options: Vars for --var-like values, Log to
// log denials of programs it later executes, Stderr for the notices.
func RestrictWith(p *policy.Policy, o Options) error {
	r, err := prepare(p, o)
	if err != nil {
		return err
	}
	c, rules, release, err := r.config()
	if err != nil {
		return err
	}
	defer release()
	return c.Restrict(rules...)
}
