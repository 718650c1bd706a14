// Command minik8s runs a small, real Kubernetes control plane: API server,
// scheduler, controller manager and node agents, together (`minik8s all`)
// or each role alone.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/minik8s/minik8s/cmd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cmd.App().RunContext(ctx, os.Args)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "minik8s: "+err.Error())
		os.Exit(1)
	}
}
