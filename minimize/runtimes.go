package minimize

import (
	"os"
	"path"
	"strings"
)

// runtimeHomes are the directories beneath ${HOME} where version
// managers and toolchains install language runtimes: each is one
// read-only code tree, whatever version or file the next run uses.
var runtimeHomes = []string{
	".pyenv", ".rbenv", ".nvm", ".nodenv", ".volta", ".bun", ".deno", ".fnm",
	".cargo", ".rustup", "go", ".sdkman", ".asdf", ".conda",
	"miniconda3", "anaconda3", ".local/share/uv", ".local/share/mise",
}

// runtimeRoot returns the install root of the language runtime that
// holds the file p (resolved, absolute), or "" when p is in none:
//
//   - beneath ${HOME}, one of runtimeHomes (${HOME}/.pyenv, ${HOME}/.cargo...);
//   - elsewhere, or beneath ${HOME} too, the nearest directory that a
//     marker shows to be an install prefix: a virtualenv (pyvenv.cfg), a
//     Python prefix (lib/pythonX.Y/os.py), a Node.js prefix
//     (lib/node_modules beside bin/node), a Go root (src/runtime beside
//     bin/go).
//
// stops are directories the search must not reach or pass (${HOME}
// itself): a runtime root is always strictly beneath them. A root is
// never a top-level directory, nor in a system tree (/usr is a Python
// prefix too, but system files are their group's).
func runtimeRoot(h *hostFacts, p, home string, stops, system []string) string {
	if home != "" {
		for _, d := range runtimeHomes {
			if root := home + "/" + d; beneath(p, root) && p != root {
				return root
			}
		}
	}
	for _, t := range system {
		if beneath(p, t) {
			return ""
		}
	}
	for d := path.Dir(p); strings.Count(d, "/") >= 2; d = path.Dir(d) {
		for _, s := range stops {
			if d == s || !beneath(d, s) && beneath(s, d) {
				return ""
			}
		}
		if isInstallPrefix(h, d) {
			return d
		}
	}
	return ""
}

// isInstallPrefix reports whether d holds a language runtime's install
// tree, by the files each runtime puts at its root. The answer is kept:
// the files of a tree ask about the same directories.
func isInstallPrefix(h *hostFacts, d string) bool {
	h.mu.Lock()
	v, ok := h.prefix[d]
	h.mu.Unlock()
	if !ok {
		v = installPrefix(h, d)
		h.mu.Lock()
		h.prefix[d] = v
		h.mu.Unlock()
	}
	return v
}

func installPrefix(h *hostFacts, d string) bool {
	if h.exists(d + "/pyvenv.cfg") {
		return true
	}
	if h.exists(d+"/bin/node") && h.exists(d+"/lib/node_modules") {
		return true
	}
	if h.exists(d+"/bin/go") && h.exists(d+"/src/runtime") {
		return true
	}
	entries, err := os.ReadDir(h.root + d + "/lib")
	if err != nil {
		return false
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "python") && e.IsDir() && h.exists(d+"/lib/"+e.Name()+"/os.py") {
			return true
		}
	}
	return false
}
