package emit_test

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/policy"
)

// A program that builds a policy in memory writes it for review.
func ExampleYAML() {
	p := policy.New(7)
	p.Comment = "Policy for myapp"
	p.Handled.Scoped = 0 // myapp signals its parent
	p.FS = []policy.FSRule{
		{Path: "/usr", Access: policy.FSExecute | policy.FSReadFile | policy.FSReadDir},
		{Path: "${HOME}/.cache/myapp", Access: policy.FSReadFile | policy.FSWriteFile,
			Optional: true, Comment: "observed: openat ~/.cache/myapp/index"},
	}
	p.Net = []policy.NetRule{{Port: 443, Access: policy.NetConnectTCP}}
	if err := emit.YAML(os.Stdout, p); err != nil {
		panic(err)
	}
	// Output:
	// # Policy for myapp
	//
	// version: 2
	// abi: 7
	// compat: best-effort
	// handled:
	//   fs: all
	//   net: [bind_tcp, connect_tcp]
	//   scoped: []
	// fs:
	//   # observed: openat ~/.cache/myapp/index
	//   - path: ${HOME}/.cache/myapp
	//     access: [write_file, read_file]
	//     optional: true
	//   - path: /usr
	//     access: [execute, read_file, read_dir]
	// net:
	//   - port: 443
	//     access: [connect_tcp]
}

func ExampleTree() {
	p, err := policy.Load(strings.NewReader(`
version: 1
abi: 7
handled: {fs: all, net: [], scoped: []}
fs:
  - {path: /usr/share/zoneinfo, access: [read_file, read_dir]}
  - {path: /etc/hostname, access: [read_file]}
  - {path: /usr, access: [execute, read_file]}
`), "landlock.yaml")
	if err != nil {
		panic(err)
	}
	if err := emit.Tree(os.Stdout, p); err != nil {
		panic(err)
	}
	// Output:
	// /
	// ├── etc/hostname  [read_file]
	// └── usr  [execute, read_file]
	//     └── share/zoneinfo  [read_file, read_dir]
	//
	// ports:
	//   (none granted)
	//
	// handled (abi 7, best-effort):
	//   fs:     all (execute, write_file, read_file, read_dir, remove_dir, remove_file, make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym, refer, truncate, ioctl_dev)
	//   net:    none
	//   scoped: none
	//   allowed everywhere (not handled): bind_tcp, connect_tcp, abstract_unix_socket, signal
}

// CI compares the committed policy with a freshly learned one.
func ExampleDiff() {
	old := policy.New(7)
	old.FS = []policy.FSRule{{Path: "/usr", Access: policy.FSReadFile}}
	learned := policy.New(7)
	learned.FS = []policy.FSRule{
		{Path: "/usr", Access: policy.FSReadFile | policy.FSExecute},
		{Path: "/etc/ssl", Access: policy.FSReadFile},
	}
	changes := policy.Diff(old, learned)
	if err := emit.Diff(os.Stdout, changes); err != nil {
		panic(err)
	}
	// Output:
	// fs:
	//   + /etc/ssl  [read_file]
	//   ~ /usr  [read_file] -> [execute, read_file]
}

// A learner writes its result without ever leaving a broken file behind.
func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	p := policy.New(7)
	p.FS = []policy.FSRule{{Path: "/usr", Access: policy.FSReadFile}}
	path := dir + "/landlock.yaml"
	if err := emit.WriteFile(path, p, false); err != nil {
		panic(err)
	}
	err := emit.WriteFile(path, p, false)
	fmt.Println(errors.Is(err, emit.ErrExists))
	// Output:
	// true
}
