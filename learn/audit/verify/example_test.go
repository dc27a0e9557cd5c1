package verify_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/learn/audit/session"
	"github.com/landlearn/landlearn/learn/audit/verify"
	"github.com/landlearn/landlearn/policy"
)

// Verify a policy against the kernel: run cat under it with audit logging
// and print what the sandbox denied. Needs root and Landlock ABI 7.
func ExampleCommand() {
	s, err := session.Acquire() // audit on (and back off when done)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Release()
	l, err := live.Listen()
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	p, err := policy.LoadFile("cat.yaml")
	if err != nil {
		log.Fatal(err)
	}
	cmd, err := enforce.Command(p, []string{"cat", "/etc/hostname"}, enforce.Options{Log: true})
	if err != nil {
		log.Fatal(err)
	}
	run, err := verify.Command(context.Background(), l, live.Exec(cmd))
	switch {
	case err != nil:
		log.Fatal(err) // cannot observe: wraps audit.ErrNoAudit
	case len(run.Denials) > 0:
		verify.WriteReport(os.Stdout, run, nil, nil)
	case run.Loss != nil:
		log.Fatal(run.Loss) // silence proves nothing
	default:
		fmt.Println("the policy denied nothing")
	}
}
