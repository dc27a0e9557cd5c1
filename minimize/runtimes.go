package minimize

import (
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
)

// runtimeHomes are the directories beneath ${HOME} where version
// managers and toolchains install language runtimes: each is one
// read-only code tree, whatever version or file the next run uses.
//
// Where a manager keeps more than code in its directory, only the code's
// subdirectories are listed: ~/.cargo holds registry credentials
// (credentials.toml), ~/go a workspace's sources, ~/.sdkman and ~/.asdf
// their own configuration.
var runtimeHomes = []string{
	".pyenv", ".rbenv", ".nvm", ".nodenv", ".volta", ".bun", ".deno", ".fnm",
	".cargo/bin", ".cargo/registry", ".cargo/git", ".rustup",
	"go/pkg/mod", "go/bin", ".sdkman/candidates", ".asdf/installs", ".conda",
	"miniconda3", "anaconda3", ".local/share/uv/python", ".local/share/uv/tools",
	".local/share/mise/installs",
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
// stops are directories the search must not reach or pass (${HOME},
// ${PWD}, the temp directories), and so is any directory others share
// (hostFacts.sharedDir): a runtime root is always strictly beneath them,
// so that a marker in the working directory or in /tmp never makes all
// of it one rule. A root is never a top-level directory,
// nor in a system tree (/usr is a Python prefix too, but system files are
// their group's). made reports whether the run made a path: a marker the
// program wrote itself proves nothing, and neither does one owned by
// another user than root or landlearn's. secret reports whether a
// directory holds a sensitive path: such a prefix (~/.local, with
// ~/.local/share/keyrings) is a runtime only by its parts, as a
// virtualenv is, and the caller checks the part again.
func runtimeRoot(h *hostFacts, p, home string, stops, system []string, made, secret func(string) bool) string {
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
		if h.sharedDir(d) {
			return ""
		}
		if marker := installMarker(h, d); marker != "" {
			if made(marker) {
				return ""
			}
			if path.Base(marker) == "pyvenv.cfg" || secret(d) {
				return venvPart(d, p)
			}
			return d
		}
	}
	return ""
}

// installMarker returns the file that shows d to hold a language
// runtime's install tree (the files each runtime puts at its root), or ""
// when d holds none. A marker counts only when it and every directory
// from d down to it are owned by root or landlearn's own user and none is
// a symlink: another user must not be able to make a directory a runtime
// by planting a link (lib -> /usr/lib) beside it. A directory that holds
// etc/passwd is a whole system's root (a container's, a chroot), never a
// runtime. The answer is kept: the files of a tree ask about the same
// directories.
func installMarker(h *hostFacts, d string) string {
	h.mu.Lock()
	v, ok := h.prefix[d]
	h.mu.Unlock()
	if !ok {
		v = findMarker(h, d)
		if v != "" && (!h.trustedBelow(d, v) || h.exists(d+"/etc/passwd")) {
			v = ""
		}
		h.mu.Lock()
		h.prefix[d] = v
		h.mu.Unlock()
	}
	return v
}

func findMarker(h *hostFacts, d string) string {
	if h.exists(d + "/pyvenv.cfg") {
		return d + "/pyvenv.cfg"
	}
	if h.exists(d+"/bin/node") && h.exists(d+"/lib/node_modules") {
		return d + "/bin/node"
	}
	if h.exists(d+"/bin/go") && h.exists(d+"/src/runtime") {
		return d + "/bin/go"
	}
	entries, err := os.ReadDir(h.root + d + "/lib")
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if m := d + "/lib/" + e.Name() + "/os.py"; strings.HasPrefix(e.Name(), "python") && e.IsDir() && h.exists(m) {
			return m
		}
	}
	return ""
}

// trustedBelow reports whether d and every path from it down to p (p
// beneath d) is owned by root or by landlearn's user and is not a
// symlink.
func (h *hostFacts) trustedBelow(d, p string) bool {
	for q := p; ; q = path.Dir(q) {
		var st syscall.Stat_t
		if err := syscall.Lstat(h.root+q, &st); err != nil || st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
			return false
		}
		if st.Uid != 0 && int(st.Uid) != os.Getuid() {
			return false
		}
		if q == d || q == "/" {
			return q == d
		}
	}
}

// venvParts are what a virtualenv puts beside its pyvenv.cfg, and an
// install prefix beside its marker.
var venvParts = []string{"bin", "lib", "lib64", "include", "share"}

// venvPart is the part of the virtualenv or prefix at d that holds p, or
// "" when p is not in one: a virtualenv made inside an application's
// directory (python -m venv .) shares it with the application's own
// files (.env, main.py), which are not the runtime's, and a prefix such
// as ~/.local shares it with secrets (~/.local/share/keyrings).
func venvPart(d, p string) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(p, d+"/"), "/")
	if slices.Contains(venvParts, first) && p != d+"/"+first {
		return d + "/" + first
	}
	return ""
}
