package enforce_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/landlearn/landlearn/enforce"
	"github.com/landlearn/landlearn/internal/testkit"
	"github.com/landlearn/landlearn/policy"
)

// threadsMain is the child of TestRestrictCoversEveryThread: it parks
// goroutines on OS threads of their own, calls Restrict, then has each
// thread open path and prints what each got.
func threadsMain(file, path string) int {
	const n = 8
	start := make(chan struct{})
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // a thread that exists before Restrict
			<-start
			results[i] = errnoName(openClose(path, unix.O_RDONLY))
		}()
	}
	p, err := policy.LoadFile(file)
	if err == nil {
		err = enforce.Restrict(p)
	}
	if err != nil {
		fmt.Println(err)
		return 1
	}
	close(start)
	wg.Wait()
	fmt.Println(strings.Join(results, " "))
	return 0
}

func TestRestrictCoversEveryThread(t *testing.T) {
	testkit.RequireLandlock(t, 6)
	dir := t.TempDir()
	secret := mkfile(t, dir, "secret", "x")
	file := writePolicy(t, "version: 1\nabi: 7\nfs:\n  - path: /etc\n    access: [read_file]\n")
	self, _ := os.Executable()
	cmd := exec.Command(self, secret)
	cmd.Env = append(os.Environ(), threadsEnv+"="+file)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := strings.TrimSpace(strings.Repeat("EACCES ", 8)); strings.TrimSpace(string(out)) != want {
		t.Errorf("threads opening %s after Restrict got %q, want %q", filepath.Base(secret), out, want)
	}
}
