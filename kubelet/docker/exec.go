package docker

import (
	"context"
	"fmt"
	"time"

	"github.com/moby/moby/client"
)

// Exec runs cmd in the container, waits for it to finish (or ctx to end:
// a probe's timeout) and returns its exit code. It is what exec probes
// run (the kubelet's Execer).
func (r *Runtime) Exec(ctx context.Context, containerID string, cmd []string) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("exec in %s: no command", shortID(containerID))
	}
	created, err := r.cli.ExecCreate(ctx, dockerID(containerID), client.ExecCreateOptions{Cmd: cmd})
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", shortID(containerID), err)
	}
	if _, err := r.cli.ExecStart(ctx, created.ID, client.ExecStartOptions{Detach: true}); err != nil {
		return 0, fmt.Errorf("exec in %s: %w", shortID(containerID), err)
	}
	// A detached exec is done when its inspection says it no longer runs.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := r.cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return 0, fmt.Errorf("exec in %s: %w", shortID(containerID), err)
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("exec in %s: %w", shortID(containerID), ctx.Err())
		case <-tick.C:
		}
	}
}
