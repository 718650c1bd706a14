package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/app"
)

// Global flags work before and after the command, and after wins.
func TestGlobalFlagsBeforeAndAfterTheCommand(t *testing.T) {
	dirs := map[string]string{}
	for _, name := range []string{"a", "b"} {
		dirs[name] = t.TempDir()
		if err := os.WriteFile(filepath.Join(dirs[name], "kubeconfig"), []byte("cluster "+name), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data-dir", dirs["a"], "kubeconfig"}, "cluster a"},
		{[]string{"kubeconfig", "--data-dir", dirs["b"]}, "cluster b"},
		{[]string{"--data-dir", dirs["a"], "kubeconfig", "--data-dir", dirs["b"]}, "cluster b"},
	} {
		a := App()
		var out bytes.Buffer
		a.Writer = &out
		if err := a.Run(append([]string{"minik8s"}, tc.args...)); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if got := out.String(); got != tc.want {
			t.Errorf("%v printed %q, want %q", tc.args, got, tc.want)
		}
	}
}

// A bad value is one error naming the flag.
func TestBadFlagValue(t *testing.T) {
	err := App().Run([]string{"minik8s", "all", "--log-level", "loud"})
	if err == nil || !strings.Contains(err.Error(), "--log-level") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}

// Console logs have colours on a terminal only; a file or a pipe gets
// plain text.
func TestLogColoursOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	for name, w := range map[string]interface {
		Write([]byte) (int, error)
	}{"file": f, "buffer": &buf} {
		l := newLogger(app.LogConfig{Level: "info", Format: "console"}, w)
		l.Warn().Str("pod", "web").Str("writer", name).Msg("hello")
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"file": string(b), "buffer": buf.String()} {
		if !strings.Contains(out, "hello") || strings.Contains(out, "\x1b[") {
			t.Errorf("log to a %s = %q, want plain text", name, out)
		}
	}
}
