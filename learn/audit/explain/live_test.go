package explain_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn/audit"
	"github.com/landlearn/landlearn/learn/audit/audittest"
	"github.com/landlearn/landlearn/learn/audit/explain"
	"github.com/landlearn/landlearn/learn/audit/live"
	"github.com/landlearn/landlearn/policy"
)

func TestMain(m *testing.M) {
	enforce.MaybeHelper()
	os.Exit(m.Run())
}

// TestExplainLiveDenials has the real kernel deny a file read, a TCP
// connect and a signal under a logging domain, reads the records from the
// audit netlink socket, and checks that Explain names each object with
// the rule (or the scope change) that fixes it, and what a policy says.
func TestExplainLiveDenials(t *testing.T) {
	l := audittest.Listener(t)

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	// Handle read_file, connect_tcp and the signal scope; grant reading
	// what bash and cat need to start. The policy leaves make_sym
	// unrestricted, so its rules name no symlink (/lib may be one).
	p := policy.New(7)
	p.Handled = policy.Handled{FS: policy.FSReadFile, Net: policy.NetConnectTCP, Scoped: policy.ScopeSignal}
	for _, dir := range []string{"/usr", "/lib", "/lib64", "/etc/ld.so.cache"} {
		if real, err := filepath.EvalSymlinks(dir); err == nil && !slices.ContainsFunc(p.FS, func(r policy.FSRule) bool { return r.Path == real }) {
			p.FS = append(p.FS, policy.FSRule{Path: real, Access: policy.FSReadFile})
		}
	}
	me := strconv.Itoa(os.Getpid())
	script := "cat /etc/hostname; kill -0 " + me + "; exec 3<>/dev/tcp/127.0.0.1/" + strconv.Itoa(port)
	cmd, err := enforce.Command(p, []string{"bash", "-c", script}, enforce.Options{Log: true})
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.Observe(context.Background(), live.Exec(cmd))
	if err != nil {
		t.Fatal(err)
	}
	if run.Loss != nil {
		t.Fatal(run.Loss)
	}
	if run.Domain == nil {
		t.Fatalf("no domain record for pid %d; denials %+v", run.PID, run.Denials)
	}
	e := explain.Explain(run.Denials, []audit.Domain{*run.Domain}, p)
	var b bytes.Buffer
	if err := e.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, want := range []string{
		"/etc/hostname: read_file denied 1 time to /usr/bin/cat (openat)",
		"    - path: /etc/hostname\n      access: [read_file]\n    policy: does not allow read_file\n",
		"tcp port " + strconv.Itoa(port) + " (127.0.0.1): connect_tcp denied 1 time to /usr/bin/bash (connect)",
		"    - port: " + strconv.Itoa(port) + "\n      access: [connect_tcp]\n    policy: does not allow connect_tcp\n",
		"process " + me + " (",
		"signal denied 1 time to /usr/bin/bash (kill)\n    remove signal from handled.scoped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
	if len(e.Domains) != 1 || e.Domains[0].Creator == nil || e.Domains[0].Creator.PID != run.PID {
		t.Errorf("domain creator: %+v, want pid %d", e.Domains, run.PID)
	}
}
