package main

// A server in the end-to-end tests: a small web app on Python's
// http.server (it reads config.json, serves static/, counts visits in
// sqlite and logs to logs/), which never exits by itself. learn, check and
// verify are stopped by --timeout and by Ctrl-C while requests come in,
// and each must still give its report; run serves the requests under the
// learned policy.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/landlearn/landlearn/internal/command"
)

// serverPy is the app. SIGTERM ends it as systemd would: the handler
// lets serve_forever return, and the app logs "stopped" before it exits.
const serverPy = `import http.server, json, os, signal, sqlite3, sys

config = json.load(open("config.json"))
log = open("logs/server.log", "a", buffering=1)
db = sqlite3.connect("data/app.db")

class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory="static", **kw)

    def do_GET(self):
        if self.path == "/count":
            db.execute("UPDATE visits SET n = n + 1")
            db.commit()
            n = db.execute("SELECT n FROM visits").fetchone()[0]
            body = ("%s %d\n" % (config["name"], n)).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, fmt, *args):
        log.write(fmt % args + "\n")

server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
def stop(sig, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, stop)
log.write("started\n")
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
server.server_close()
log.write("stopped\n")
`

// serverApp is the app's directory, a port for it and the landlearn
// binary.
type serverApp struct {
	dir, home string
	port      int
	bin       string
}

func newServerApp(t *testing.T) *serverApp {
	t.Helper()
	e2eNeeds(t, "python3")
	a := &serverApp{dir: t.TempDir(), home: t.TempDir(), port: freePort(t), bin: landlearnBinary(t)}
	writeTree(t, a.dir, map[string]string{
		"server.py":         serverPy,
		"config.json":       `{"name": "demo"}`,
		"static/index.html": "<h1>hello</h1>\n",
		"static/style.css":  "h1 { color: teal }\n",
		// Pages no request asks for while learning: the run uses 2 of
		// static's 5 entries, so static is no data unit, and a page the
		// policy lacks is still one (TestNewDataServer has the other case).
		"static/about.html":   "about\n",
		"static/contact.html": "contact\n",
		"static/img/logo.svg": "<svg/>\n",
		"logs/.keep":          "",
		"data/.keep":          "",
	})
	db := exec.Command("python3", "-c", `import sqlite3; c = sqlite3.connect("data/app.db"); c.execute("CREATE TABLE visits (n INTEGER)"); c.execute("INSERT INTO visits VALUES (0)"); c.commit()`)
	db.Dir = a.dir
	if out, err := db.CombinedOutput(); err != nil {
		t.Fatalf("create the database: %v\n%s", err, out)
	}
	return a
}

// argv is the server's command line.
func (a *serverApp) argv() []string {
	return []string{"python3", "server.py", strconv.Itoa(a.port)}
}

// client sends requests to the app until stop is called: each path in
// turn, as soon as the server answers, every 100 ms. It returns what it
// got, "path status body" per answer.
type client struct {
	mu      sync.Mutex
	answers []string
	cancel  func()
	done    chan struct{}
}

func (a *serverApp) requests(t *testing.T, paths ...string) *client {
	ctx, cancel := context.WithCancel(t.Context())
	c := &client{cancel: cancel, done: make(chan struct{})}
	hc := &http.Client{Timeout: 2 * time.Second}
	go func() {
		defer close(c.done)
		for i := 0; ctx.Err() == nil; i++ {
			p := paths[i%len(paths)]
			req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://127.0.0.1:%d%s", a.port, p), nil)
			if resp, err := hc.Do(req); err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				c.mu.Lock()
				c.answers = append(c.answers, fmt.Sprintf("%s %d %s", p, resp.StatusCode, strings.TrimSpace(string(body))))
				c.mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return c
}

// stop ends the requests and returns the answers.
func (c *client) stop() []string {
	c.cancel()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answers
}

// answered says whether some answer starts with prefix.
func answered(answers []string, prefix string) bool {
	for _, a := range answers {
		if strings.HasPrefix(a, prefix) {
			return true
		}
	}
	return false
}

// landlearn runs the binary in the app's directory with args, while the
// client asks for paths. interrupt, when set, sends the learner SIGINT
// once the server has answered a request (Ctrl-C). A run that does not
// end is killed after a minute and fails the test.
func (a *serverApp) landlearn(t *testing.T, interrupt bool, paths []string, args ...string) (cliResult, []string) {
	t.Helper()
	cmd := exec.Command(a.bin, args...)
	cmd.Dir, cmd.Env = a.dir, e2eEnv(a.home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	c := a.requests(t, paths...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stuck := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer stuck.Stop()
	if interrupt {
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
			c.mu.Lock()
			n := len(c.answers)
			c.mu.Unlock()
			if n >= 3 || time.Now().After(deadline) {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGINT)
	}
	cmd.Wait()
	answers := c.stop()
	r := cliResult{out.String(), errb.String(), command.ExitCode(cmd.ProcessState)}
	t.Logf("landlearn %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	return r, answers
}

// stoppedCleanly says whether the app logged its stop since the last
// look, and forgets the log.
func (a *serverApp) stoppedCleanly(t *testing.T) bool {
	t.Helper()
	p := filepath.Join(a.dir, "logs/server.log")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, nil, 0o644)
	return strings.HasSuffix(string(data), "stopped\n")
}

func TestServer(t *testing.T) {
	for _, backend := range []string{"trace", "trace+audit"} {
		t.Run(backend, func(t *testing.T) { testServer(t, backend) })
	}
}

func testServer(t *testing.T, backend string) {
	a := newServerApp(t)
	pages := []string{"/index.html", "/style.css", "/count"}
	cmd := func(args ...string) []string { return append(args, append([]string{"--"}, a.argv()...)...) }

	// learn under --timeout, with requests: exit 0, the app stopped by
	// SIGTERM as under systemd (it logged it), a policy.
	start := time.Now()
	r, answers := a.landlearn(t, false, pages, cmd("learn", "--backend", backend, "--timeout", "3s", "-o", "srv.yaml")...)
	if r.code != 0 || !answered(answers, "/count 200 demo") {
		t.Fatalf("learn: exit %d, answers %q", r.code, answers)
	}
	// The trace, then a round that sees the same: the timeout bounds
	// each; a minute would be a hang (it was over ten).
	if took := time.Since(start); took > time.Minute {
		t.Errorf("learn took %v", took)
	}
	if !a.stoppedCleanly(t) {
		t.Error("the server did not log its stop: it was not given SIGTERM and time to exit")
	}
	if backend == "trace+audit" && !strings.Contains(r.stderr, "converged after 1 round") {
		t.Errorf("the audit round did not confirm the traced policy")
	}

	// run: requests answered under the policy.
	srv := exec.Command(a.bin, cmd("run", "-p", "srv.yaml")...)
	srv.Dir, srv.Env = a.dir, e2eEnv(a.home)
	var srvErr bytes.Buffer
	srv.Stderr = &srvErr
	c := a.requests(t, pages...)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		c.mu.Lock()
		n := len(c.answers)
		c.mu.Unlock()
		if n >= 6 || time.Now().After(deadline) {
			break
		}
	}
	answers = c.stop()
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
	for _, p := range []string{"/index.html 200 <h1>hello</h1>", "/style.css 200", "/count 200 demo"} {
		if !answered(answers, p) {
			t.Errorf("run: no answer %q among %q\n%s", p, answers, srvErr.String())
		}
	}
	if !a.stoppedCleanly(t) {
		t.Error("run: the server did not log its stop")
	}

	// check and verify, stopped by --timeout, then by Ctrl-C: each gives
	// its report and exits 0 (the policy covers what the app did).
	for _, stop := range []struct {
		name      string
		interrupt bool
		args      []string
		cut       string
	}{
		{"--timeout", false, []string{"--timeout", "3s"}, "--timeout 3s"},
		{"Ctrl-C", true, nil, "SIGINT"},
	} {
		r, _ = a.landlearn(t, stop.interrupt, pages, cmd(append([]string{"check", "-p", "srv.yaml"}, stop.args...)...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "srv.yaml covers all") || !strings.Contains(r.stderr, stop.cut+" stopped python3") {
			t.Errorf("check stopped by %s: exit %d\n%s%s", stop.name, r.code, r.stdout, r.stderr)
		}
		r, _ = a.landlearn(t, stop.interrupt, pages, cmd(append([]string{"verify", "-p", "srv.yaml"}, stop.args...)...)...)
		if r.code != 0 || !strings.Contains(r.stderr, "until "+stop.cut+" stopped it: the policy denied nothing") {
			t.Errorf("verify stopped by %s: exit %d\n%s", stop.name, r.code, r.stderr)
		}
		if !a.stoppedCleanly(t) {
			t.Errorf("verify stopped by %s: the server did not log its stop", stop.name)
		}
	}

	// A page the policy does not have, requested during the run: check
	// and verify exit 1 and name it.
	other := filepath.Join(a.dir, "static/other.html")
	if err := os.WriteFile(other, []byte("other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(other)
	r, _ = a.landlearn(t, false, []string{"/other.html"}, cmd("check", "-p", "srv.yaml", "--timeout", "3s")...)
	if r.code != 1 || !strings.Contains(r.stdout, other+": missing [read_file]") {
		t.Errorf("check with a missing page: exit %d\n%s", r.code, r.stdout)
	}
	r, _ = a.landlearn(t, false, []string{"/other.html"}, cmd("verify", "-p", "srv.yaml", "--timeout", "3s")...)
	if r.code != 1 || !regexp.MustCompile(`(?m)^  `+regexp.QuoteMeta(other)+`\n    denied: read_file`).MatchString(r.stderr) {
		t.Errorf("verify with a missing page: exit %d\n%s", r.code, r.stderr)
	}
}
