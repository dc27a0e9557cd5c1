package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/landlearn/landlearn/internal/testkit"
)

// The CLI tests run the real binary, as a user or CI would: exit codes
// and the split between stdout and stderr are part of the contract.

// emitTestBinary is the landlearn binary for the emit and diff tests.
func emitTestBinary(t *testing.T) string {
	t.Helper()
	return landlearnBinary(t)
}

// runCLI runs landlearn with args and stdin, in dir.
func runCLI(t *testing.T, dir, stdin string, args ...string) cliResult {
	t.Helper()
	return runBinary(t, emitTestBinary(t), dir, nil, strings.NewReader(stdin), args...)
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const cliPolicy = `# Learned for the CLI test.
version: 1
abi: 7
handled:
  fs: all
  net: [connect_tcp]
  scoped: []
fs:
  - path: /usr
    access: [read_dir, execute, read_file]   # system
  - path: ${HOME}/.config/app
    access: [read_file]
    optional: true
net:
  - port: 443
    access: [connect_tcp]
`

const cliPolicyYAML = `# Learned for the CLI test.

version: 1
abi: 7
compat: best-effort
handled:
  fs: all
  net: [connect_tcp]
  scoped: []
fs:
  - path: ${HOME}/.config/app
    access: [read_file]
    optional: true
  # system
  - path: /usr
    access: [execute, read_file, read_dir]
net:
  - port: 443
    access: [connect_tcp]
`

func TestEmitYAML(t *testing.T) {
	dir := writeFiles(t, map[string]string{"landlock.yaml": cliPolicy})
	r := runCLI(t, dir, "", "emit", "landlock.yaml")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r.stdout != cliPolicyYAML {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, cliPolicyYAML)
	}
	// Emitting the output again changes nothing, and stdin works.
	r2 := runCLI(t, dir, r.stdout, "emit", "--format", "yaml", "-")
	if r2.code != 0 || r2.stdout != cliPolicyYAML {
		t.Errorf("emit of emitted YAML: exit %d, stderr %q, stdout:\n%s", r2.code, r2.stderr, r2.stdout)
	}
}

func TestEmitKeepsVariables(t *testing.T) {
	dir := writeFiles(t, map[string]string{"landlock.yaml": cliPolicy})
	for _, format := range []string{"yaml", "tree", "landlockconfig-json", "landlockconfig-toml"} {
		r := runCLI(t, dir, "", "emit", "-f", format, "landlock.yaml")
		if r.code != 0 {
			t.Errorf("%s: exit %d: %s", format, r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "${HOME}") || strings.Contains(r.stdout, os.Getenv("HOME")+"/.config") {
			t.Errorf("%s: ${HOME} was expanded or lost:\n%s", format, r.stdout)
		}
	}
}

func TestEmitTree(t *testing.T) {
	dir := writeFiles(t, map[string]string{"landlock.yaml": cliPolicy})
	r := runCLI(t, dir, "", "emit", "--format", "tree", "landlock.yaml")
	for _, want := range []string{"/\n└── usr  [execute, read_file, read_dir]\n", "${HOME}\n└── .config/app  [read_file] (optional)\n", "  443  [connect_tcp]\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("tree lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestEmitLandlockConfigJSON(t *testing.T) {
	dir := writeFiles(t, map[string]string{"landlock.yaml": cliPolicy})
	r := runCLI(t, dir, "", "emit", "--format", "landlockconfig-json", "landlock.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// landlockconfig has no "optional": the output says which rules lose it.
	if want := "cannot say \"optional: true\", which these rules had; they are written as plain rules (landlockconfig skips any missing path): ${HOME}/.config/app (line 11)"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	var doc struct {
		ABI      int `json:"abi"`
		Variable []struct {
			Name string `json:"name"`
		} `json:"variable"`
		Ruleset []struct {
			HandledAccessFs  []string `json:"handledAccessFs"`
			HandledAccessNet []string `json:"handledAccessNet"`
		} `json:"ruleset"`
		PathBeneath []struct {
			AllowedAccess []string `json:"allowedAccess"`
			Parent        []string `json:"parent"`
		} `json:"pathBeneath"`
		NetPort []struct {
			AllowedAccess []string `json:"allowedAccess"`
			Port          []int    `json:"port"`
		} `json:"netPort"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("not the landlockconfig JSON shape: %v\n%s", err, r.stdout)
	}
	if doc.ABI != 7 || len(doc.Ruleset) != 1 || len(doc.PathBeneath) != 2 || len(doc.NetPort) != 1 ||
		strings.Join(doc.Ruleset[0].HandledAccessNet, ",") != "connect_tcp" || doc.NetPort[0].Port[0] != 443 ||
		len(doc.Variable) != 1 || doc.Variable[0].Name != "HOME" {
		t.Errorf("unexpected content: %+v", doc)
	}
}

func TestEmitLandlockConfigTOML(t *testing.T) {
	dir := writeFiles(t, map[string]string{"landlock.yaml": cliPolicy})
	r := runCLI(t, dir, "", "emit", "--format", "landlockconfig-toml", "landlock.yaml")
	for _, want := range []string{"abi = 7\n", "[[ruleset]]\n", "handled_access_net = [\"connect_tcp\"]\n",
		"[[path_beneath]]\nallowed_access = [\"execute\", \"read_file\", \"read_dir\"]\nparent = [\"/usr\"]\n",
		"[[net_port]]\nallowed_access = [\"connect_tcp\"]\nport = [443]\n", "[[variable]]\nname = \"HOME\"\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("TOML lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestEmitBadInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"bad.yaml":   "version: 1\nfs:\n  - path: /x\n    access: [read]\n",
		"empty.yaml": "",
		"new.yaml":   "version: 1\nabi: 9\n",
	})
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown right", []string{"emit", "bad.yaml"}, []string{"bad.yaml:4:", "did you mean read_file?"}},
		{"empty file", []string{"emit", "empty.yaml"}, []string{"empty.yaml", "empty"}},
		{"missing file", []string{"emit", "nope.yaml"}, []string{"nope.yaml", "no such file"}},
		{"directory", []string{"emit", "."}, []string{"is a directory"}},
		{"unknown format", []string{"emit", "-f", "xml", "bad.yaml"}, []string{`"xml"`, "yaml, tree, landlockconfig-json, landlockconfig-toml"}},
		{"no policy", []string{"emit"}, []string{"one POLICY", "got 0"}},
		{"two policies", []string{"emit", "a", "b"}, []string{"one POLICY", "got 2"}},
		{"unknown flag", []string{"emit", "--fromat", "tree", "x"}, []string{"--fromat"}},
		{"not expressible", []string{"emit", "-f", "landlockconfig-json", "new.yaml"}, []string{"new.yaml", "resolve_unix"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, "", tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
		})
	}
}

func TestEmitHelp(t *testing.T) {
	r := runCLI(t, t.TempDir(), "", "emit", "--help")
	for _, want := range []string{"Examples:", "landlearn emit --format tree landlock.yaml", "landlockconfig-toml"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("emit --help (exit %d) lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := runCLI(t, t.TempDir(), "", "completion", shell)
		if r.code != 0 || len(r.stdout) < 1000 || !strings.Contains(r.stdout, "landlearn") {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, r.code, len(r.stdout), r.stderr)
		}
	}
	// The --format values complete.
	r := runCLI(t, t.TempDir(), "", "__complete", "emit", "--format", "")
	for _, f := range []string{"yaml", "tree", "landlockconfig-json", "landlockconfig-toml"} {
		if !strings.Contains(r.stdout, f+"\t") {
			t.Errorf("completion of --format lacks %s:\n%s", f, r.stdout)
		}
	}
}

// An unknown help topic or shell is a usage error (exit 2) that names the
// choices, not cobra's help and exit 0.
func TestHelpCompletionUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "nosuch"}, `unknown help topic "nosuch"; the commands are: check, completion, diff, emit, explain, help, learn, minimize, run, verify`},
		{[]string{"completion", "tcsh"}, `unknown shell "tcsh"; the shells are: bash, fish, powershell, zsh`},
	} {
		r := runCLI(t, t.TempDir(), "", c.args...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, c.want) {
			t.Errorf("landlearn %s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(c.args, " "), r.code, r.stdout, r.stderr, c.want)
		}
	}
	// Without a topic or a shell, each prints its help.
	for _, args := range [][]string{{"help"}, {"completion"}} {
		if r := runCLI(t, t.TempDir(), "", args...); r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Errorf("landlearn %s: exit %d, stderr %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
}

func TestEmitVars(t *testing.T) {
	dir := writeFiles(t, map[string]string{"landlock.yaml": cliPolicy})
	r := runCLI(t, dir, "", "emit", "-f", "landlockconfig-toml", "--var", "HOME=/home/alice", "--var", "TYPO=/x", "landlock.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "[[variable]]\nname = \"HOME\"\nliteral = [\"/home/alice\"]\n") ||
		!strings.Contains(r.stdout, `parent = ["${HOME}/.config/app"]`) {
		t.Errorf("HOME not given its value, or the path was expanded:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "--var TYPO: the policy uses no ${TYPO}") {
		t.Errorf("no warning about the unused --var: %q", r.stderr)
	}

	// Without a value, a warning says the rules match nothing.
	r = runCLI(t, dir, "", "emit", "-f", "landlockconfig-json", "landlock.yaml")
	if r.code != 0 || !strings.Contains(r.stderr, "${HOME} has no value") {
		t.Errorf("exit %d, stderr %q; want a warning about ${HOME}", r.code, r.stderr)
	}

	// --vars-from-env uses this machine's values.
	home, _ := os.UserHomeDir()
	r = runCLI(t, dir, "", "emit", "-f", "landlockconfig-json", "--vars-from-env", "landlock.yaml")
	if r.code != 0 || strings.Contains(r.stderr, "has no value") || !strings.Contains(r.stdout, `"literal": [`+"\n        "+`"`+home+`"`) {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", r.code, r.stderr, r.stdout)
	}

	for _, args := range [][]string{
		{"emit", "--var", "HOME=/x", "landlock.yaml"},
		{"emit", "-f", "tree", "--vars-from-env", "landlock.yaml"},
		{"emit", "-f", "landlockconfig-json", "--var", "HOME", "landlock.yaml"},
		{"emit", "-f", "landlockconfig-json", "--var", "HOME=", "landlock.yaml"},
	} {
		if r := runCLI(t, dir, "", args...); r.code != 2 || !strings.Contains(r.stderr, "--var") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message about --var", args, r.code, r.stderr)
		}
	}
}

// Every command's --help ends with its worked example, after the flags,
// also cobra's own help and completion.
func TestHelpExamplesLast(t *testing.T) {
	initCommands()
	names := [][]string{{}, {"help"}, {"completion"}, {"completion", "bash"}}
	for _, c := range rootCmd.Commands() {
		names = append(names, []string{c.Name()})
	}
	for _, name := range names {
		c, _, err := rootCmd.Find(name)
		if err != nil || c.Example == "" {
			t.Errorf("landlearn %s has no example (%v)", strings.Join(name, " "), err)
			continue
		}
		r := runCLI(t, t.TempDir(), "", append(name, "--help")...)
		want := "\nExamples:\n" + c.Example + "\n"
		if r.code != 0 || !strings.HasSuffix(r.stdout, want) || strings.Index(r.stdout, "\nFlags:\n") > strings.Index(r.stdout, want) {
			t.Errorf("landlearn %s --help (exit %d) does not end with its example after the flags:\n%s", strings.Join(name, " "), r.code, r.stdout)
		}
	}
}

// Every command's usage line names each of its flags: it is what a reader
// of --help and of a usage error sees first.
func TestUseLinesNameEveryFlag(t *testing.T) {
	initCommands()
	for _, c := range rootCmd.Commands() {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if !strings.Contains(c.Use, "--"+f.Name+" ") && !strings.Contains(c.Use, "--"+f.Name+"]") &&
				(f.Shorthand == "" || !strings.Contains(c.Use, "-"+f.Shorthand+" ")) {
				t.Errorf("landlearn %s: usage line %q lacks --%s", c.Name(), c.Use, f.Name)
			}
		})
	}
}

// In bash with the bash-completion package, `landlearn learn --backend
// <TAB>` offers the backends, as every flag with a fixed set of values.
func TestCompletionBash(t *testing.T) {
	const lib = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(lib); err != nil {
		testkit.Skip(t, "needs the bash-completion package (scripts/test.sh installs it)")
	}
	bin := emitTestBinary(t)
	for _, c := range []struct {
		words []string
		want  []string
	}{
		{[]string{"learn", "--backend", ""}, []string{"audit", "trace", "trace+audit"}},
		{[]string{"learn", "--backend", "tr"}, []string{"trace", "trace+audit"}},
		{[]string{"check", "--format", ""}, []string{"github", "text"}},
		{[]string{"emit", "--format", "landlockconfig-"}, []string{"landlockconfig-json", "landlockconfig-toml"}},
		{[]string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}},
	} {
		script := `source ` + lib + `
source <("$BIN" completion bash)
COMP_WORDS=("$BIN" "$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
__start_landlearn landlearn "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}" | sort`
		cmd := exec.Command("bash", append([]string{"-c", script, "bash"}, c.words...)...)
		cmd.Env = append(os.Environ(), "BIN="+bin)
		out, err := cmd.Output() // stderr: compopt says it runs outside a completion
		got := strings.Fields(string(out))
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("landlearn %s<TAB>: %v, offers %q, want %q", strings.Join(c.words, " "), err, got, c.want)
		}
	}
}
