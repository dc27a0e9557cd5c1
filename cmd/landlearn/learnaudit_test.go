package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/reexec"
	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/learn/audit/session"
	"github.com/landlearn/landlearn/learn/audit/workdir"
	"github.com/landlearn/landlearn/policy"
)

// TestMain lets the test binary play landlearn's re-executed helpers, as
// main does: runAuditRounds runs its rounds through enforce.Command below
// a keeper, which re-execute the current binary.
func TestMain(m *testing.M) {
	execMuted()
	reexec.Main()
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
	ar, err := runAuditRounds(context.Background(), argv, nil, auditRounds{Stderr: &stderr, Stdout: &stdout})
	obs, status := ar.Observations, ar.ExitCode
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
	ar, err := runAuditRounds(context.Background(), argv, nil, auditRounds{Stderr: &stderr, Stdout: &stdout})
	status := ar.ExitCode
	t.Logf("rounds:\n%s", stderr.String())
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 || stdout.String() != "changed\n" {
		t.Errorf("status %d, stdout %q", status, stdout.String())
	}
}

// TestLearnAuditCommandNotFound: a command that is not there is said at
// once (exit 127), as the trace backend says it, before audit is switched
// on and without keeping an empty observations file.
func TestLearnAuditCommandNotFound(t *testing.T) {
	bin := auditTestBinary(t)
	dir := t.TempDir()
	status, _, stderr := runLandlearn(t, bin, dir, "learn", "--backend", "audit", "-o", "p.yaml", "--", "no-such-command-here")
	if status != 127 || !strings.Contains(stderr, "no-such-command-here: command not found") ||
		strings.Contains(stderr, "audit") || strings.Contains(stderr, "kept in") {
		t.Errorf("status %d, stderr:\n%s", status, stderr)
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
	ar, err := runAuditRounds(ctx, argv, nil, auditRounds{Stderr: &stderr, Stdout: &bytes.Buffer{}})
	if err != nil || ar.Interrupted == 0 {
		t.Fatalf("err = %v, interrupted round %d; want an interruption; rounds:\n%s", err, ar.Interrupted, stderr.String())
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
	ar, err := runAuditRounds(context.Background(), argv, nil, auditRounds{Stderr: &stderr, Stdout: &bytes.Buffer{}, Snapshot: snap})
	obs, status := ar.Observations, ar.ExitCode
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
	dir := t.TempDir()
	src := filepath.Join(dir, "moving.c")
	if err := os.WriteFile(src, []byte(movingPortC), 0o644); err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(dir, "moving")
	testkit.CC(t, "-O", "-o", prog, src)
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

// startAuditLearner starts `learn --backend audit` of a command that
// reads /etc/hostname then sleeps, with its own TMPDIR, and waits until a
// round got as far as the sleep (earlier rounds added what it needs).
func startAuditLearner(t *testing.T, bin string) (cmd *exec.Cmd, dir, tmp string, stderr *bytes.Buffer, sleepPid int) {
	t.Helper()
	dir, tmp = t.TempDir(), t.TempDir()
	cmd = exec.Command(bin, "learn", "--backend", "audit", "-o", "p.yaml", "--", "sh", "-c", "cat /etc/hostname >/dev/null && exec sleep 1000")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	sleepPid = waitDescendantExe(t, cmd, "/usr/bin/sleep", stderr)
	return cmd, dir, tmp, stderr, sleepPid
}

// Interrupting audit learning keeps every round's observations: the
// policy is written from them, and learn says which round was
// interrupted. It used to write nothing ("the 0 observations are kept").
func TestLearnAuditSignals(t *testing.T) {
	bin := auditTestBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(signalName(sig), func(t *testing.T) {
			cmd, dir, tmp, stderr, sleepPid := startAuditLearner(t, bin)
			cmd.Process.Signal(sig)
			stuck := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
			defer stuck.Stop()
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != 128+int(sig) {
				t.Errorf("exit %d, want %d (the interrupted round's)\n%s", code, 128+int(sig), stderr)
			}
			if !regexp.MustCompile(signalName(sig) + ` interrupted round \d+`).MatchString(stderr.String()) {
				t.Errorf("stderr does not say which round was interrupted:\n%s", stderr)
			}
			data, err := os.ReadFile(filepath.Join(dir, "p.yaml"))
			if err != nil {
				t.Fatalf("no policy: %v\n%s", err, stderr)
			}
			// sleep is a system program: the system group grants it.
			for _, want := range []string{"/etc/hostname", "- group: system\n    access: [execute, "} {
				if !strings.Contains(string(data), want) {
					t.Errorf("the policy lacks %s, which a round before the interrupted one added:\n%s", want, data)
				}
			}
			if _, err := os.Stat("/proc/" + strconv.Itoa(sleepPid)); err == nil {
				t.Errorf("the round's sleep (pid %d) still runs", sleepPid)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}

// SIGKILL of audit learning leaves neither the round's command running
// (a keeper kills it) nor, after the next landlearn, its reset copy, an
// empty observations file or its registration as an audit user.
func TestLearnAuditKilled(t *testing.T) {
	bin := auditTestBinary(t)
	cmd, dir, tmp, stderr, sleepPid := startAuditLearner(t, bin)
	cmd.Process.Kill()
	cmd.Wait()
	waitGone := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat("/proc/" + strconv.Itoa(sleepPid)); err != nil {
			break
		}
		if time.Now().After(waitGone) {
			t.Fatalf("the round's sleep (pid %d) survived the learner", sleepPid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	resets, _ := filepath.Glob(filepath.Join(tmp, "landlearn-reset-*"))
	raw, _ := filepath.Glob(filepath.Join(tmp, "landlearn-*.jsonl"))
	if len(resets) != 1 || len(raw) != 1 {
		t.Fatalf("the killed learner left %v and %v; want its reset copy and observations\n%s", resets, raw, stderr)
	}
	if data, err := os.ReadFile(raw[0]); err != nil || bytes.Count(data, []byte("\n")) < 2 {
		t.Errorf("the observations of the rounds before the kill are not in %s (%v): %q", raw[0], err, data)
	}
	// The next landlearn cleans up.
	next := runBinary(t, bin, dir, append(os.Environ(), "TMPDIR="+tmp), nil, "learn", "-o", "next.yaml", "--", "true")
	if next.code != 0 {
		t.Errorf("next landlearn: exit %d\n%s", next.code, next.stderr)
	}
	if _, err := os.Stat(resets[0]); err == nil {
		t.Errorf("the next landlearn left the dead learner's reset copy %s", resets[0])
	}
	if data, err := os.ReadFile(session.StatePath); err == nil && strings.Contains(string(data), fmt.Sprintf(`"pid":%d,`, cmd.Process.Pid)) {
		t.Errorf("the killed learner is still registered as an audit user:\n%s", data)
	}
}

// The rounds' reset of the working directory leaves the user's --raw
// file in it alone: it ends with every round's observations.
func TestLearnAuditKeepsRaw(t *testing.T) {
	bin := auditTestBinary(t)
	dir := t.TempDir()
	r := runBinary(t, bin, dir, nil, nil, "learn", "--backend", "audit", "--raw", "r.jsonl", "-o", "p.yaml", "--", "sh", "-c", "echo x > out && cat /etc/hostname")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	f, err := os.Open(filepath.Join(dir, "r.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	obs, err := learn.ReadAll(f, "r.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range obs {
		found = found || o.Path == "/etc/hostname"
	}
	if !found {
		t.Errorf("r.jsonl lost the rounds' observations to the reset (%d lines left)\n%s", len(obs), r.stderr)
	}
}
