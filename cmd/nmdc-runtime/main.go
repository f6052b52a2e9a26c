// Command nmdc-runtime is the Runtime API server and its command-line client.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, errHelp) {
		return
	}
	if err != nil {
		var ue *usageError
		if !errors.As(err, &ue) || !ue.printed {
			fmt.Fprintln(os.Stderr, "nmdc-runtime:", err)
		}
		os.Exit(exitCode(err))
	}
}
