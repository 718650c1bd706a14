package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/minik8s/minik8s/internal/wait"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

var (
	_ runtime.Streamer = (*Runtime)(nil)
	_ runtime.Attacher = (*Runtime)(nil)
)

// ExecStream runs cmd in the pod's latest container named name, attached
// to s through the engine's exec API (create, attach, resize, inspect).
func (r *Runtime) ExecStream(ctx context.Context, podUID, name string, cmd []string, s runtime.Streams) (int, error) {
	if len(cmd) == 0 {
		return 0, errors.New("exec: no command")
	}
	id, err := r.running(ctx, podUID, name)
	if err != nil {
		return 0, err
	}
	opts := client.ExecCreateOptions{Cmd: cmd, TTY: s.TTY,
		AttachStdin: s.Stdin != nil, AttachStdout: s.Stdout != nil, AttachStderr: s.Stderr != nil && !s.TTY}
	if s.TTY && s.Resize != nil {
		// kubectl sends its terminal's size first: the process gets it
		// before it starts reading input.
		select {
		case size, ok := <-s.Resize:
			if ok {
				opts.ConsoleSize = client.ConsoleSize{Height: uint(size.Height), Width: uint(size.Width)}
			}
		case <-time.After(time.Second):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	created, err := r.cli.ExecCreate(ctx, id, opts)
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", shortID(id), err)
	}
	att, err := r.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{TTY: s.TTY, ConsoleSize: opts.ConsoleSize})
	if err != nil {
		return 0, fmt.Errorf("exec in %s: %w", shortID(id), err)
	}
	defer att.Close()
	if opts.ConsoleSize.Width > 0 {
		// The engine does not apply ConsoleSize to an attached exec's
		// terminal: resize it once it runs (a resize before that fails).
		for range 50 {
			_, err := r.cli.ExecResize(ctx, created.ID, client.ExecResizeOptions(opts.ConsoleSize))
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	err = pump(ctx, att.HijackedResponse, s, func(size runtime.TermSize) {
		_, _ = r.cli.ExecResize(ctx, created.ID, client.ExecResizeOptions{Height: uint(size.Height), Width: uint(size.Width)})
	})
	if err != nil {
		r.killExec(created.ID, id)
		return 0, err
	}
	// The output ends when the process exits; the engine may take a moment
	// more to record its exit code.
	for {
		st, err := r.cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return 0, fmt.Errorf("exec in %s: %w", shortID(id), err)
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			r.killExec(created.ID, id)
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// AttachStream attaches s to the running process of the pod's latest
// container named name until it exits or ctx ends (a detach: the process
// runs on). Stdin reaches the process only when the container keeps one
// open (stdin: true in its spec), TTY only when it has a terminal.
func (r *Runtime) AttachStream(ctx context.Context, podUID, name string, s runtime.Streams) error {
	id, err := r.running(ctx, podUID, name)
	if err != nil {
		return err
	}
	att, err := r.cli.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true,
		Stdin: s.Stdin != nil, Stdout: s.Stdout != nil, Stderr: s.Stderr != nil && !s.TTY})
	if err != nil {
		return fmt.Errorf("attach to %s: %w", shortID(id), err)
	}
	defer att.Close()
	return pump(ctx, att.HijackedResponse, s, func(size runtime.TermSize) {
		_, _ = r.cli.ContainerResize(ctx, id, client.ContainerResizeOptions{Height: uint(size.Height), Width: uint(size.Width)})
	})
}

// running returns the ID of the pod's latest container named name, an
// error wrapping runtime.ErrNotFound or ErrNotRunning if it does not run.
func (r *Runtime) running(ctx context.Context, podUID, name string) (string, error) {
	cs, err := r.instances(ctx, podUID, name)
	if err != nil {
		return "", err
	}
	if len(cs) == 0 {
		return "", fmt.Errorf("container %q of pod %s: %w", name, podUID, runtime.ErrNotFound)
	}
	if cs[0].State != container.StateRunning {
		return "", fmt.Errorf("container %q of pod %s: %w", name, podUID, runtime.ErrNotRunning)
	}
	return cs[0].ID, nil
}

// pump copies s.Stdin to an attached process and its output to s.Stdout
// and s.Stderr (demultiplexed unless s.TTY), passing terminal sizes to
// resize, until the output ends (nil) or ctx does (ctx's error).
func pump(ctx context.Context, att client.HijackedResponse, s runtime.Streams, resize func(runtime.TermSize)) error {
	if s.Stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, s.Stdin)
			_ = att.CloseWrite() // the process sees end of input
		}()
	}
	if s.TTY && s.Resize != nil {
		go func() {
			for size := range s.Resize {
				resize(size)
			}
		}()
	}
	out := make(chan error, 1)
	go func() {
		stdout, stderr := orDiscard(s.Stdout), orDiscard(s.Stderr)
		var err error
		if s.TTY {
			_, err = io.Copy(stdout, att.Reader)
		} else {
			_, err = stdcopy.StdCopy(stdout, stderr, att.Reader)
		}
		out <- err
	}()
	select {
	case err := <-out:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// killExec kills an exec whose caller hung up: the engine has no API to
// stop an exec, and a command that reads no input (sleep) would run on.
// It signals the process by its host PID, after checking through /proc
// that the PID belongs to the container (so a PID from another PID
// namespace, with a remote engine, is left alone). It tries again until
// the exec has ended, for up to killExecTimeout: an engine under load may
// answer late or not report the PID yet.
func (r *Runtime) killExec(execID, containerID string) {
	ctx, cancel := context.WithTimeout(context.Background(), killExecTimeout)
	defer cancel()
	killed := 0 // signalled once only: its PID could be reused once it has gone
	for {
		st, err := r.cli.ExecInspect(ctx, execID, client.ExecInspectOptions{})
		switch {
		case cerrdefs.IsNotFound(err), err == nil && !st.Running:
			return
		case err == nil && st.PID > 0 && st.PID != killed:
			cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", st.PID))
			if err != nil || !strings.Contains(string(cg), dockerID(containerID)) {
				return
			}
			_ = syscall.Kill(st.PID, syscall.SIGKILL)
			killed = st.PID
		}
		if wait.Sleep(ctx, killExecRetry) != nil {
			r.log.Warn().Str("exec", execID).Str("id", shortID(containerID)).
				Msg("an exec whose caller hung up may still run: the engine did not report it ended")
			return
		}
	}
}

// killExecTimeout bounds killExec's tries, killExecRetry spaces them.
const (
	killExecTimeout = 30 * time.Second
	killExecRetry   = 100 * time.Millisecond
)

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
