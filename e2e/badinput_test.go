package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/syncbuf"
)

// logLine is a line of minik8s's console log at info level or below.
var logLine = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} (TRC|DBG|INF) `)

// TestBadInput starts `minik8s all` with a problem it cannot get past: it
// must exit 1 quickly with one line on stderr (besides its info log) that
// says what is wrong and what to do.
func TestBadInput(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() }) // after the parallel subtests

	for _, tt := range []struct {
		name string
		args []string // global flags, then flags of all
		want []string // in the message
	}{
		{"PortInUse", []string{"all", "--listen", busy.Addr().String()},
			[]string{"listen on " + busy.Addr().String(), "in use", "--listen"}},
		{"PostgresUnreachable", []string{"all", "--store", "postgres://postgres:postgres@127.0.0.1:1/x"},
			[]string{"open store postgres://postgres:xxxxx@127.0.0.1:1/x", "connection refused", "is the database running"}},
		{"RedisUnreachable", []string{"all", "--redis", "redis://127.0.0.1:1/0"},
			[]string{"redis://127.0.0.1:1/0", "connection refused", "is redis-server running"}},
		{"BadLogLevel", []string{"--log-level", "loud", "all"},
			[]string{`--log-level "loud"`, "trace, debug, info, warn, error"}},
		{"BadRuntime", []string{"all", "--runtime", "vm"},
			[]string{`--runtime "vm"`, "docker, sim or auto"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// A private data dir, as minik8s makes one: a loose mode would
			// add a warning to the one line this test wants.
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			config := filepath.Join(dir, "config.yaml")
			if err := os.WriteFile(config, []byte(testConfig("")), 0o600); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"--data-dir", dir, "--config", config}, tt.args...)
			if !strings.Contains(strings.Join(args, " "), "--listen") {
				args = append(args, "--listen", freeAddr(t))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, args...)
			cmd.Dir, cmd.Env = dir, cleanEnv()
			var stdout, stderr syncbuf.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("minik8s %s still ran after 30s; stderr:\n%s", strings.Join(args, " "), stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("exit code %d (%v), want 1", code, err)
			}
			var msgs []string
			for _, l := range lines(plain(stderr.String())) {
				if !logLine.MatchString(l) {
					msgs = append(msgs, l)
				}
			}
			if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "minik8s: ") {
				t.Fatalf("stderr besides the info log: %q, want one line \"minik8s: ...\"", msgs)
			}
			for _, want := range tt.want {
				if !strings.Contains(msgs[0], want) {
					t.Errorf("message %q lacks %q", msgs[0], want)
				}
			}
			if strings.Contains(stdout.String(), "cluster ready") {
				t.Errorf("stdout says the cluster is ready:\n%s", stdout.String())
			}
			t.Logf("after %s: %s", time.Since(start).Round(time.Millisecond), msgs[0])
		})
	}
}
