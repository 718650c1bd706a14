package docker

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/minik8s/minik8s/kubelet/runtime"
)

// Logs copies the container's stdout and stderr, as recorded by the
// engine's log driver, to w.
func (r *Runtime) Logs(ctx context.Context, podUID, name string, opts runtime.LogOptions, w io.Writer) error {
	cs, err := r.instances(ctx, podUID, name)
	if err != nil {
		return err
	}
	var target *container.Summary
	switch {
	case len(cs) == 0:
	case !opts.Previous:
		target = &cs[0]
	default:
		for i := 1; i < len(cs); i++ {
			if cs[i].State != container.StateRunning {
				target = &cs[i]
				break
			}
		}
	}
	if target == nil {
		what := "container"
		if opts.Previous {
			what = "previous terminated container"
		}
		return fmt.Errorf("%s %q of pod %s: %w", what, name, podUID, runtime.ErrNotFound)
	}

	ins, err := r.cli.ContainerInspect(ctx, target.ID, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspect container %s: %w", shortID(target.ID), err)
	}
	lo := client.ContainerLogsOptions{
		ShowStdout: true, ShowStderr: true,
		Follow: opts.Follow, Timestamps: opts.Timestamps, Tail: "all",
	}
	if opts.TailLines != nil {
		lo.Tail = strconv.FormatInt(max(*opts.TailLines, 0), 10)
	}
	if !opts.Since.IsZero() {
		lo.Since = fmt.Sprintf("%d.%09d", opts.Since.Unix(), opts.Since.Nanosecond())
	}
	body, err := r.cli.ContainerLogs(ctx, target.ID, lo)
	if err != nil {
		return fmt.Errorf("read logs of %s: %w", shortID(target.ID), err)
	}
	defer body.Close()
	if ins.Container.Config != nil && ins.Container.Config.Tty {
		_, err = io.Copy(w, body) // a TTY's output is one raw stream
	} else {
		_, err = stdcopy.StdCopy(w, w, body)
	}
	if err != nil && opts.Follow && ctx.Err() != nil {
		return nil // the follower hung up
	}
	if err != nil {
		return fmt.Errorf("read logs of %s: %w", shortID(target.ID), err)
	}
	return nil
}
