package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/learn/audit/workdir"
	"github.com/landlearn/landlearn/learn/trace"
	"github.com/landlearn/landlearn/policy"
)

// TestMain lets the test binary play landlearn's re-executed helpers, as
// main does: runAuditRounds runs its rounds through enforce.Command, which
// re-executes the current binary.
func TestMain(m *testing.M) {
	enforce.MaybeHelper()
	if len(os.Args) > 1 && os.Args[1] == trace.HelperArg {
		trace.HelperMain(os.Args[2:])
	}
	unignoreInterrupt()
	code := m.Run()
	removeTestBinary()
	removeStaticBinary()
	os.Exit(code)
}

// TestLearnAuditConverges is the "done when": audit learning of a
// program that creates, moves and reads files in its working directory
// converges, and verify of the learned policy on a fresh directory exits 0.
func TestLearnAuditConverges(t *testing.T) {
	bin := auditTestBinary(t)
	dir := t.TempDir()
	t.Chdir(dir)
	script := "mkdir -p x y && echo 1 > x/f && mv x/f y/g && cat y/g"
	argv := []string{"sh", "-c", script}
	var stderr, stdout bytes.Buffer
	obs, status, err := runAuditRounds(context.Background(), argv, nil, auditRounds{Stderr: &stderr, Stdout: &stdout})
	t.Logf("rounds:\n%s", stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 || stdout.String() != "1\n" || !strings.Contains(stderr.String(), "converged after") {
		t.Fatalf("status %d, stdout %q: want 0, \"1\\n\", converged", status, stdout.String())
	}
	if len(obs) == 0 {
		t.Fatal("no observations")
	}
	policyFile := filepath.Join(t.TempDir(), "a.yaml")
	if err := writeLearnedPolicy(slices.Values(obs), policyOutput{Path: policyFile, Stderr: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"x", "y"} {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	vstatus, vout, verr := runLandlearn(t, bin, dir, append([]string{"verify", "-p", policyFile, "--"}, argv...)...)
	if vstatus != 0 || vout != "1\n" {
		data, _ := os.ReadFile(policyFile)
		t.Errorf("verify: status %d, stdout %q, stderr:\n%s\npolicy:\n%s", vstatus, vout, verr, data)
	}
}

// TestLearnAuditResets: every round starts from the working directory as
// it was before round 1, so a program that refuses to run twice (mkdir
// without -p) still converges.
func TestLearnAuditResets(t *testing.T) {
	auditTestBinary(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("keep", []byte("original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr, stdout bytes.Buffer
	argv := []string{"sh", "-c", "mkdir new && echo changed > keep && cat keep"}
	_, status, err := runAuditRounds(context.Background(), argv, nil, auditRounds{Stderr: &stderr, Stdout: &stdout})
	t.Logf("rounds:\n%s", stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 || stdout.String() != "changed\n" {
		t.Errorf("status %d, stdout %q", status, stdout.String())
	}
}

// TestLearnAuditInterrupted: learning stopped in the middle of a round
// puts the working directory back as it was before round 1.
func TestLearnAuditInterrupted(t *testing.T) {
	auditTestBinary(t)
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("keep", []byte("original\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Stop learning once a round got as far as changing the file
		// (the command then sleeps). Polling, not timing: no deadline
		// decides the outcome.
		for ctx.Err() == nil {
			if data, _ := os.ReadFile(filepath.Join(dir, "keep")); string(data) == "changed\n" {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var stderr bytes.Buffer
	argv := []string{"sh", "-c", "echo changed > keep && exec sleep 1000"}
	_, _, err := runAuditRounds(ctx, argv, nil, auditRounds{Stderr: &stderr, Stdout: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("err = %v, want an interruption; rounds:\n%s", err, stderr.String())
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "keep")); string(data) != "original\n" {
		t.Errorf("keep = %q after the interruption, want it restored", data)
	}
}

// TestLearnAuditFromSnapshot: trace+audit, where the trace run already
// wrote the output file. With the snapshot taken before tracing, round 1
// starts without it: writing it needs no truncate, and the policy does
// not grant truncate on the working directory.
func TestLearnAuditFromSnapshot(t *testing.T) {
	auditTestBinary(t)
	dir := t.TempDir()
	t.Chdir(dir)
	snap, err := workdir.TakeSnapshot(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	// What the trace run of "echo 1 > out" left behind.
	if err := os.WriteFile("out", []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	argv := []string{"sh", "-c", "echo 1 > out"}
	obs, status, err := runAuditRounds(context.Background(), argv, nil, auditRounds{Stderr: &stderr, Stdout: &bytes.Buffer{}, Snapshot: snap})
	t.Logf("rounds:\n%s", stderr.String())
	if err != nil || status != 0 {
		t.Fatalf("status %d, err %v", status, err)
	}
	for _, o := range obs {
		if o.FS.Has(policy.FSTruncate) {
			t.Errorf("round 1 did not start from the snapshot: %+v", o)
		}
	}
}

// movingPortC serves on a port bind(0) picks and connects to it: each
// run asks for another port of the ephemeral range. Exit 3 when the
// connect is refused.
const movingPortC = `#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (bind(s, (struct sockaddr *)&a, n) || listen(s, 1) || getsockname(s, (struct sockaddr *)&a, &n))
		return 2;
	return connect(c, (struct sockaddr *)&a, n) ? 3 : 0;
}
`

// TestLearnAuditMovingPort: a program that connects to its own server's
// bind(0) port asks for another port each run. The audit rounds stop
// when they see it, instead of adding one useless port a round until
// --rounds: at once after a trace that saw the program's own listener,
// or at the third round in a row that added nothing else; and the
// rules for the earlier rounds' ports are left out of the policy.
func TestLearnAuditMovingPort(t *testing.T) {
	bin := auditTestBinary(t)
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc (scripts/test.sh installs it)")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "moving.c")
	if err := os.WriteFile(src, []byte(movingPortC), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "moving")
	if out, err := exec.Command(gcc, "-O", "-o", prog, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	for _, c := range []struct {
		backend string
		rounds  int // the round that stops
	}{{"trace+audit", 1}, {"audit", 0}} {
		t.Run(c.backend, func(t *testing.T) {
			pol := filepath.Join(t.TempDir(), "p.yaml")
			status, _, stderr := runLandlearn(t, bin, dir, "learn", "--backend", c.backend, "--rounds", "20", "-o", pol, "--", prog)
			t.Logf("stderr:\n%s", stderr)
			if status != 3 {
				t.Errorf("status %d, want the program's 3 (its connect refused)", status)
			}
			stop := regexp.MustCompile(`audit round (\d+): exit 3, denied only connect_tcp on port \d+, another port of the ephemeral range than before: not added`).FindStringSubmatch(stderr)
			data, err := os.ReadFile(pol)
			if err != nil {
				t.Fatal(err)
			}
			if c.backend == "audit" && strings.Contains(string(data), "access: [connect_tcp]") {
				t.Errorf("the rounds' rules for the moving ports were kept:\n%s", data)
			}
			if stop == nil || !strings.Contains(stderr, "each run connected to another port of the ephemeral range") {
				t.Fatalf("the rounds did not stop on the moving port")
			}
			if n, _ := strconv.Atoi(stop[1]); c.rounds > 0 && n != c.rounds || n > 10 {
				t.Errorf("stopped at round %d, want %d (audit alone: a few rounds for the loader and libc, then three ports)", n, c.rounds)
			}
			if c.backend == "trace+audit" && !strings.Contains(stderr, "on which the program itself listens") {
				t.Error("the trace did not warn about the program's own listener")
			}
		})
	}
}
