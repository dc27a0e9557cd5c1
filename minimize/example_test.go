package minimize_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/landlearn/landlearn/emit"
	"github.com/landlearn/landlearn/learn"
	"github.com/landlearn/landlearn/minimize"
	"github.com/landlearn/landlearn/policy"
)

// A run that reads its config and writes its output with the
// write-temp-then-rename pattern: the config gets a rule on the file; the
// output, replaced during the run, gets its rights on the directory, which
// becomes ${PWD} so that the policy works in another checkout.
func ExampleMinimize() {
	run := `{"seq":1,"syscall":"execve","pid":7,"exe":"/usr/bin/tool","path":"/usr/bin/tool","type":"file","access":["execute","read_file"]}
{"seq":2,"syscall":"openat","pid":7,"exe":"/usr/bin/tool","path":"/srv/app/tool.conf","type":"file","access":["read_file"]}
{"seq":3,"syscall":"openat","pid":7,"exe":"/usr/bin/tool","path":"/srv/app","type":"dir","access":["make_reg"],"created":true,"dst":"/srv/app/out.tmp"}
{"seq":3,"syscall":"openat","pid":7,"exe":"/usr/bin/tool","path":"/srv/app/out.tmp","type":"file","access":["write_file"],"created":true}
{"seq":4,"syscall":"rename","pid":7,"exe":"/usr/bin/tool","path":"/srv/app","type":"dir","access":["remove_file","make_reg"],"src":"/srv/app/out.tmp","dst":"/srv/app/out"}
`
	obs, err := learn.ReadAll(strings.NewReader(run), "run.jsonl")
	if err != nil {
		panic(err)
	}
	p, report := minimize.Minimize(obs, minimize.Options{
		ABI:  policy.KernelABI,
		Vars: policy.Vars{"PWD": "/srv/app"},
	})
	p.Comment = ""
	emit.YAML(os.Stdout, p)
	fmt.Println(report.FSRules, "rules,", report.Rights, "rights")
	// Output:
	// version: 2
	// abi: 7
	// compat: best-effort
	// handled:
	//   fs: all
	//   net: [bind_tcp, connect_tcp]
	//   scoped: [abstract_unix_socket, signal]
	// fs:
	//   # 3 accesses by /usr/bin/tool; e.g. ${PWD}/out.tmp
	//   # 1 path created, replaced or deleted during the run: granted on the nearest directory that existed before (a rule needs an inode when the sandbox starts)
	//   - path: ${PWD}
	//     access: [write_file, remove_file, make_reg]
	//     learned: true
	//   # 1 access by /usr/bin/tool
	//   - path: ${PWD}/tool.conf
	//     access: [read_file]
	//     learned: true
	//   # 1 access by /usr/bin/tool
	//   - path: /usr/bin/tool
	//     access: [execute, read_file]
	//     learned: true
	// 3 rules, 6 rights
}
