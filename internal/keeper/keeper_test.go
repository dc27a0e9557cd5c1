package keeper

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/reexec"
)

// envOwner makes the test binary start `sh -c $envOwner` below a keeper
// and wait: a landlearn that a test can kill.
const envOwner = "LANDLEARN_KEEPER_TEST_OWNER"

func TestMain(m *testing.M) {
	reexec.Main()
	if script := os.Getenv(envOwner); script != "" {
		t, err := Start(exec.Command("/bin/sh", "-c", script))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("%d\n", t.Pid())
		t.Wait()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// marked lists the processes whose environment holds marker.
func marked(marker string) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(b, []byte(marker+"\x00")) {
			out = append(out, pid)
		}
	}
	return out
}

func newMarker(t *testing.T) string {
	m := fmt.Sprintf("LANDLEARN_KEEPER_MARK=%d-%d", os.Getpid(), time.Now().UnixNano())
	t.Cleanup(func() {
		for _, p := range marked(m) {
			syscall.Kill(p, syscall.SIGKILL)
		}
	})
	return m
}

// waitGone polls until no marked process is left; only a hang fails.
func waitGone(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(marked(marker)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("processes left: %v", marked(marker))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop: the command's own process gets the signal, the others SIGTERM,
// and a process that ignores both is killed after the grace period.
func TestStop(t *testing.T) {
	marker := newMarker(t)
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	c := exec.Command("/bin/sh", "-c", `sleep 1000 & (trap '' TERM; exec sleep 1000) & touch `+ready+`; exec sleep 1000`)
	c.Env = append(os.Environ(), marker)
	tree, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(ready); err == nil && len(marked(marker)) == 4 { // the keeper, sh and two sleeps
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tree never started: %v", marked(marker))
		}
		time.Sleep(10 * time.Millisecond)
	}
	tree.Stop(syscall.SIGINT, 300*time.Millisecond)
	if code, _ := tree.Wait(); code != 128+int(syscall.SIGINT) {
		t.Errorf("status %d, want %d", code, 128+int(syscall.SIGINT))
	}
	if err := tree.Close(time.Hour); err != nil {
		t.Fatal(err)
	}
	waitGone(t, marker)
	if !tree.Killed() {
		t.Error("the process that ignored SIGTERM was not reported killed")
	}
}

// Close after the command exited stops what it left running.
func TestCloseStopsLeftovers(t *testing.T) {
	marker := newMarker(t)
	c := exec.Command("/bin/sh", "-c", `sleep 1000 & exit 3`)
	c.Env = append(os.Environ(), marker)
	tree, err := Start(c)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := tree.Wait(); code != 3 {
		t.Errorf("status %d, want 3", code)
	}
	if len(marked(marker)) != 2 { // the keeper and the sleep
		t.Fatalf("want the background sleep still running: %v", marked(marker))
	}
	if err := tree.Close(time.Hour); err != nil {
		t.Fatal(err)
	}
	waitGone(t, marker)
	if tree.Killed() {
		t.Error("SIGTERM was enough, but the tree says it was killed")
	}
}

// SIGKILL of the process that started the tree: the keeper kills it.
func TestOwnerKilled(t *testing.T) {
	marker := newMarker(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	owner := exec.Command(self)
	owner.Env = append(os.Environ(), marker, envOwner+"=trap '' TERM; sleep 1000 & exec sleep 1000")
	out, err := owner.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	var b [32]byte
	if n, _ := out.Read(b[:]); n == 0 {
		t.Fatal("the owner did not start its tree")
	}
	for deadline := time.Now().Add(30 * time.Second); len(marked(marker)) < 4; { // owner, keeper, two sleeps
		if time.Now().After(deadline) {
			t.Fatalf("the tree never started: %v", marked(marker))
		}
		time.Sleep(10 * time.Millisecond)
	}
	owner.Process.Kill()
	owner.Wait()
	waitGone(t, marker)
}
