package policy_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/landlearn/landlearn/policy"
)

func ExampleLoad() {
	const file = `version: 1
abi: 7
handled:
  fs: all
  net: [connect_tcp]
fs:
  # the program and its libraries
  - path: /usr
    access: [execute, read_file, read_dir]
net:
  - port: 443
    access: [connect_tcp]
`
	p, err := policy.Load(strings.NewReader(file), "app.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range p.FS {
		fmt.Printf("line %d: %s %v (%s)\n", r.Line, r.Path, r.Access.Names(), r.Comment)
	}
	fmt.Println("may write /usr/bin/x:", p.MissingFS("/usr/bin/x", policy.FSWriteFile) == 0)
	fmt.Println("may connect to 443:", p.MissingNet(443, policy.NetConnectTCP) == 0)

	// A typo is an error on its line, with the fix.
	_, err = policy.Load(strings.NewReader("version: 1\nfs:\n  - path: /etc\n    access: [read]\n"), "app.yaml")
	var le *policy.LoadError
	if errors.As(err, &le) {
		fmt.Println(le.Line, err)
	}
	// Output:
	// line 8: /usr [execute read_file read_dir] (the program and its libraries)
	// may write /usr/bin/x: false
	// may connect to 443: true
	// 4 app.yaml:4: right "read" is unknown; did you mean read_file?
}

func ExamplePolicy_Expand() {
	p, err := policy.Load(strings.NewReader(`version: 1
fs:
  - path: ${HOME}/.cache/app
    access: [read_file, write_file]
    optional: true
  - path: ${XDG_CACHE_HOME}/app
    access: [make_reg]
  - path: ${DATA}
    access: [read_file]
`), "app.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	vars := policy.Vars{"HOME": "/home/alice", "XDG_CACHE_HOME": "/home/alice/.cache"}
	if _, err := p.Expand(vars); err != nil {
		fmt.Println(err)
	}
	// What --var DATA=/srv/data does:
	e, err := p.Expand(vars.With("DATA", "/srv/data"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range e.FS {
		fmt.Println(r.Path, r.Access.Names(), "optional:", r.Optional)
	}
	// Output:
	// app.yaml:8: variable ${DATA} in ${DATA} is not set; pass --var DATA=/some/path
	// /home/alice/.cache/app [write_file read_file make_reg] optional: false
	// /srv/data [read_file] optional: false
}

func ExampleVars_Abstract() {
	v := policy.Vars{"HOME": "/home/alice", "XDG_CACHE_HOME": "/home/alice/.cache", "ROOT": "/"}
	fmt.Println(v.Abstract("/home/alice/.cache/app/db"))
	fmt.Println(v.Abstract("/home/alice/src"))
	fmt.Println(v.Abstract("/home/alicex"))
	// Output:
	// ${XDG_CACHE_HOME}/app/db
	// ${HOME}/src
	// /home/alicex
}

func ExampleDiff() {
	old, _ := policy.Load(strings.NewReader("version: 1\nfs:\n  - path: /usr\n    access: [read_file, execute]\n"), "old.yaml")
	cur, _ := policy.Load(strings.NewReader("version: 1\nfs:\n  - path: /usr\n    access: [read_file]\n  - path: /tmp\n    access: [make_reg]\n"), "new.yaml")
	for _, c := range policy.Diff(old, cur) {
		fmt.Println(c)
	}
	// Output:
	// added fs /tmp: +[make_reg]
	// changed fs /usr: -[execute]
}
