package main

import (
	"os"
	"os/signal"
	"syscall"
)

// unignoreInterrupt makes the processes the tests start get SIGINT's
// default action. A test binary started in the background by a shell
// without job control inherits SIGINT ignored, and so would every
// learner it starts (landlearn keeps an ignored SIGINT ignored, as nohup
// users expect): the Ctrl-C tests would then wait forever. Catching the
// signal here, only when it was ignored, resets it to the default in the
// children at exec without changing what Ctrl-C does to `go test`.
func unignoreInterrupt() {
	if signal.Ignored(syscall.SIGINT) {
		signal.Notify(make(chan os.Signal, 1), syscall.SIGINT)
	}
}
