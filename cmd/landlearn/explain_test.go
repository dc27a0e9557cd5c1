package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/landlearn/landlearn/internal/testkit"
)

// TestExplainCLI runs the landlearn binary on the logs recorded from real
// Landlock denials in testdata/audit: exit statuses, the split between
// stdout and stderr, and the JSON document are the contract.
func TestExplainCLI(t *testing.T) {
	bin := landlearnBinary(t)
	data, err := filepath.Abs(filepath.Join("..", "..", "testdata", "audit"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		r := runBinary(t, bin, data, nil, strings.NewReader(stdin), args...)
		return r.stdout, r.stderr, r.code
	}
	golden, err := os.ReadFile(filepath.Join(data, "golden", "explain-cli.txt"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("denials exit 1 with the fix on stdout", func(t *testing.T) {
		out, errs, code := run("", "explain", "raw.log")
		if code != exitFinding {
			t.Errorf("exit %d, want 1; stderr:\n%s", code, errs)
		}
		testkit.Golden(t, filepath.Join(data, "golden", "explain-cli.txt"), []byte(out))
		if !strings.Contains(errs, "52 denials in 2 domains") {
			t.Errorf("stderr = %q", errs)
		}
	})
	t.Run("stdin and -", func(t *testing.T) {
		raw, _ := os.ReadFile(filepath.Join(data, "raw.log"))
		for _, args := range [][]string{{"explain"}, {"explain", "-"}} {
			out, _, code := run(string(raw), args...)
			want := strings.ReplaceAll(string(golden), "[raw.log:", "[stdin:")
			if code != exitFinding || out != want {
				t.Errorf("%v: exit %d, stdout:\n%s", args, code, out)
			}
		}
	})
	t.Run("gzip, as logrotate leaves it", func(t *testing.T) {
		raw, _ := os.ReadFile(filepath.Join(data, "raw.log"))
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(raw)
		zw.Close()
		gz := filepath.Join(t.TempDir(), "raw.log.1.gz")
		os.WriteFile(gz, z.Bytes(), 0o644)
		out, _, code := run("", "explain", gz)
		want := strings.ReplaceAll(string(golden), "[raw.log:", "["+gz+":")
		if code != exitFinding || out != want {
			t.Errorf("exit %d, stdout:\n%s", code, out)
		}
		out, _, _ = run(z.String(), "explain")
		if out != strings.ReplaceAll(string(golden), "[raw.log:", "[stdin:") {
			t.Errorf("gzip on stdin:\n%s", out)
		}
	})
	t.Run("no Landlock record exits 0 and says so", func(t *testing.T) {
		out, errs, code := run("", "explain", "nolandlock.log")
		if code != 0 || out != "" {
			t.Errorf("exit %d, stdout %q", code, out)
		}
		for _, want := range []string{"nolandlock.log: no Landlock records in 4 lines", "no Landlock denials in 1 input"} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errs)
			}
		}
	})
	t.Run("garbage is counted, not fatal", func(t *testing.T) {
		out, errs, code := run("", "explain", "garbage.log")
		if code != exitFinding {
			t.Errorf("exit %d, want 1", code)
		}
		if !strings.Contains(out, "/etc/hostname: read_file denied 1 time") || !strings.Contains(out, "/tmp/ll-rec/rw2: refer") {
			t.Errorf("stdout:\n%s", out)
		}
		if !strings.Contains(errs, "garbage.log: skipped 10 of 21 lines (2 bad-hex, 1 interpreted, 1 malformed, 2 not-audit, 4 truncated)") {
			t.Errorf("stderr:\n%s", errs)
		}
	})
	t.Run("ausearch -i output exits 2, never no denials", func(t *testing.T) {
		_, errs, code := run("", "explain", "ausearch-interpreted.log")
		if code != exitUsage || !strings.Contains(errs, "ausearch -i output has the hex decoded already; run ausearch --raw instead") {
			t.Errorf("exit %d, stderr:\n%s", code, errs)
		}
	})
	t.Run("unreadable file exits 2", func(t *testing.T) {
		_, errs, code := run("", "explain", "raw.log", "missing.log")
		if code != exitUsage || !strings.Contains(errs, "cannot read missing.log: no such file or directory") {
			t.Errorf("exit %d, stderr:\n%s", code, errs)
		}
		_, errs, code = run("", "explain", "golden")
		if code != exitUsage || !strings.Contains(errs, "golden is a directory; did you mean golden/audit.log?") {
			t.Errorf("exit %d, stderr:\n%s", code, errs)
		}
	})
	t.Run("policy", func(t *testing.T) {
		pol := filepath.Join(t.TempDir(), "p.yaml")
		os.WriteFile(pol, []byte("version: 1\nabi: 7\nhandled:\n  fs: all\n  net: [bind_tcp, connect_tcp]\n  scoped: [abstract_unix_socket]\n"+
			"fs:\n  - path: /etc\n    access: [read_file]\nnet:\n  - port: 443\n    access: [connect_tcp]\n"), 0o644)
		out, errs, code := run("", "explain", "-p", pol, "raw.log")
		if code != exitFinding {
			t.Errorf("exit %d; stderr %s", code, errs)
		}
		for _, want := range []string{
			"/etc/hostname: read_file denied 1 time to /usr/bin/cat (openat) [raw.log:8]\n    - path: /etc/hostname\n      access: [read_file]\n    policy: already allows this",
			"tcp port 8080 (127.0.0.1): bind_tcp denied 1 time to /tmp/ll-rec/bin/rec (bind) [raw.log:93]\n    - port: 8080\n      access: [bind_tcp]\n    policy: does not allow bind_tcp",
			"policy: no policy can allow ptrace",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
		os.WriteFile(pol, []byte("version: 1\nabi: 7\nfs:\n  - path: /etc\n    access: [read]\n"), 0o644)
		_, errs, code = run("", "explain", "-p", pol, "raw.log")
		if code != exitUsage || !strings.Contains(errs, "did you mean read_file?") {
			t.Errorf("bad policy: exit %d, stderr:\n%s", code, errs)
		}
	})
	t.Run("summary of many hosts", func(t *testing.T) {
		out, _, code := run("", "explain", "--summary", "raw.log", "enriched.log", "journal.json")
		want, _ := os.ReadFile(filepath.Join(data, "golden", "summary.txt"))
		if code != exitFinding || out != string(want) {
			t.Errorf("exit %d, stdout:\n%s", code, out)
		}
	})
	t.Run("json", func(t *testing.T) {
		out, errs, code := run("", "explain", "--json", "enriched.log", "nolandlock.log")
		if code != exitFinding {
			t.Errorf("exit %d; stderr %s", code, errs)
		}
		var doc struct {
			Version int `json:"version"`
			Files   []struct {
				Name     string `json:"name"`
				Lines    int    `json:"lines"`
				Landlock int    `json:"landlock"`
			} `json:"files"`
			Domains []struct {
				Domain  string `json:"domain"`
				Host    string `json:"host"`
				Parent  string `json:"parent"`
				Objects []struct {
					Object string   `json:"object"`
					Rights []string `json:"rights"`
					Fix    string   `json:"fix"`
				} `json:"objects"`
			} `json:"domains"`
			Summary struct {
				Denials int `json:"denials"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if doc.Version != 1 || len(doc.Files) != 2 || doc.Files[0].Landlock != 56 || doc.Files[1].Landlock != 0 ||
			len(doc.Domains) != 2 || doc.Domains[0].Host != "ci-runner-1" || doc.Domains[1].Parent != doc.Domains[0].Domain ||
			doc.Summary.Denials != 52 {
			t.Errorf("document = %+v", doc)
		}
	})
	t.Run("usage errors exit 2", func(t *testing.T) {
		for _, args := range [][]string{
			{"explain", "--var", "X=/a", "raw.log"},
			{"explain", "--bogus"},
		} {
			_, errs, code := run("", args...)
			if code != exitUsage {
				t.Errorf("%v: exit %d, stderr %s", args, code, errs)
			}
		}
	})
	t.Run("help", func(t *testing.T) {
		out, _, code := run("", "explain", "--help")
		if code != 0 || !strings.Contains(out, "landlearn explain /var/log/audit/audit.log") || !strings.Contains(out, "Exit status") {
			t.Errorf("exit %d, help:\n%s", code, out)
		}
	})
}
