package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/minik8s/minik8s/app"
)

// allConfigOf runs `minik8s all args...` in dir (whose config.yaml, if
// any, is loaded) with env set, up to building its configuration.
func allConfigOf(t *testing.T, dir string, env map[string]string, args ...string) (app.Config, int, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Chdir(dir)
	a := App()
	var (
		cfg   app.Config
		nodes int
		err   error
	)
	for _, c := range a.Commands {
		if c.Name == "all" {
			c.Action = func(c *cli.Context) error {
				cfg, nodes, err = allConfig(c)
				return nil
			}
		}
	}
	if rerr := a.Run(append([]string{"minik8s", "all"}, args...)); rerr != nil {
		t.Fatalf("run: %v", rerr)
	}
	return cfg, nodes, err
}

// Every flag of `all` follows DefaultConfig < config.yaml < MINIK8S_*
// environment < flag, and a level left unset keeps the one below.
func TestAllFlagPrecedence(t *testing.T) {
	// The environment of the machine running the tests must not leak in.
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "MINIK8S_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	type level struct{ yaml, env, flag string }
	tests := []struct {
		flag string
		env  string
		// yaml sets the value in config.yaml ("" when the flag has no
		// config key); values[0] is the default, then config, env, flag.
		yaml   func(v string) string
		values [4]string
		get    func(cfg app.Config, nodes int) string
	}{
		{"runtime", "MINIK8S_RUNTIME", func(v string) string { return "kubelet:\n  runtime: " + v }, [4]string{"auto", "sim", "docker", "auto"},
			func(c app.Config, _ int) string { return c.Kubelet.Runtime }},
		{"scheduler-replicas", "MINIK8S_SCHEDULER_REPLICAS", func(v string) string { return "scheduler:\n  replicas: " + v }, [4]string{"1", "2", "3", "4"},
			func(c app.Config, _ int) string { return strconv.Itoa(c.Scheduler.Replicas) }},
		{"controller-manager-replicas", "MINIK8S_CONTROLLER_MANAGER_REPLICAS", func(v string) string { return "controllerManager:\n  replicas: " + v }, [4]string{"1", "2", "3", "4"},
			func(c app.Config, _ int) string { return strconv.Itoa(c.ControllerManager.Replicas) }},
		{"listen", "MINIK8S_LISTEN", func(v string) string { return "apiserver:\n  listen: " + v }, [4]string{"127.0.0.1:6443", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"},
			func(c app.Config, _ int) string { return c.APIServer.Listen }},
		{"store", "MINIK8S_STORE", func(v string) string { return "store: " + v }, [4]string{"", "postgres://a/x", "postgres://b/x", "postgres://c/x"},
			func(c app.Config, _ int) string { return c.Store }},
		{"redis", "MINIK8S_REDIS", func(v string) string { return "redis: " + v }, [4]string{"", "redis://a/0", "redis://b/0", "redis://c/0"},
			func(c app.Config, _ int) string { return c.Redis }},
		{"log-level", "MINIK8S_LOG_LEVEL", func(v string) string { return "log:\n  level: " + v }, [4]string{"info", "debug", "warn", "error"},
			func(c app.Config, _ int) string { return c.Log.Level }},
		{"log-format", "MINIK8S_LOG_FORMAT", func(v string) string { return "log:\n  format: " + v }, [4]string{"console", "json", "console", "json"},
			func(c app.Config, _ int) string { return c.Log.Format }},
		{"data-dir", "MINIK8S_DATA_DIR", func(v string) string { return "dataDir: " + v }, [4]string{".minik8s", "d1", "d2", "d3"},
			func(c app.Config, _ int) string { return c.DataDir }},
		// all's own settings, with no config key: the ports of `all` are
		// off unless asked for, whatever config.yaml says about the
		// subcommands' ports.
		{"nodes", "MINIK8S_NODES", nil, [4]string{"3", "", "5", "6"},
			func(_ app.Config, n int) string { return strconv.Itoa(n) }},
		{"scheduler-port", "MINIK8S_SCHEDULER_PORT", func(v string) string { return "scheduler:\n  port: " + v }, [4]string{"0", "0", "10001", "10002"},
			func(c app.Config, _ int) string { return strconv.Itoa(c.Scheduler.Port) }},
		{"controller-manager-port", "MINIK8S_CONTROLLER_MANAGER_PORT", func(v string) string { return "controllerManager:\n  port: " + v }, [4]string{"0", "0", "10003", "10004"},
			func(c app.Config, _ int) string { return strconv.Itoa(c.ControllerManager.Port) }},
	}
	for _, tt := range tests {
		// Each level set or not: the highest one set wins.
		for mask := range 8 {
			lv := level{}
			want := tt.values[0]
			if mask&1 != 0 && tt.yaml != nil && tt.values[1] != "" {
				lv.yaml, want = tt.values[1], tt.values[1]
			}
			if mask&2 != 0 {
				lv.env, want = tt.values[2], tt.values[2]
			}
			if mask&4 != 0 {
				lv.flag, want = tt.values[3], tt.values[3]
			}
			if tt.flag == "scheduler-port" || tt.flag == "controller-manager-port" {
				// config.yaml's value is the subcommand's, not all's.
				if lv.env == "" && lv.flag == "" {
					want = "0"
				}
				if mask&1 != 0 {
					lv.yaml = "10259"
				}
			}
			name := tt.flag + "/" + map[bool]string{true: "yaml", false: "-"}[lv.yaml != ""] + "," +
				map[bool]string{true: "env", false: "-"}[lv.env != ""] + "," + map[bool]string{true: "flag", false: "-"}[lv.flag != ""]
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				if lv.yaml != "" {
					if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(tt.yaml(lv.yaml)+"\n"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				env := map[string]string{}
				if lv.env != "" {
					env[tt.env] = lv.env
				}
				var args []string
				if lv.flag != "" {
					args = append(args, "--"+tt.flag, lv.flag)
				}
				cfg, nodes, err := allConfigOf(t, dir, env, args...)
				if err != nil {
					t.Fatal(err)
				}
				if got := tt.get(cfg, nodes); got != want {
					t.Errorf("%s = %q, want %q", tt.flag, got, want)
				}
			})
		}
	}
}

// A component that fails ends `all` with one line saying what failed,
// instead of leaving it waiting for nodes that never come (it used to wait
// for Ctrl-C).
func TestAllExitsWhenAComponentFails(t *testing.T) {
	dir := t.TempDir()
	// Node agents whose Docker engine is not there fail as they start.
	cfgYAML := "kubelet:\n  runtime: docker\n  docker:\n    host: unix://" + filepath.Join(dir, "no-docker.sock") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfgYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := App()
	var out bytes.Buffer
	a.Writer = &out
	done := make(chan error, 1)
	go func() {
		done <- a.RunContext(ctx, []string{"minik8s", "all", "--data-dir", filepath.Join(dir, "data"),
			"--listen", "127.0.0.1:0", "--log-level", "error", "--nodes", "1"})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "node agents") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("all returned %q, want one line naming the node agents", err)
		}
	case <-time.After(60 * time.Second):
		cancel()
		<-done
		t.Fatalf("all still running 60s after its node agents failed; output:\n%s", out.String())
	}
}

// The store URL, password included, can stay out of the command line:
// MINIK8S_STORE, or a file named by --store-file or MINIK8S_STORE_FILE.
func TestStoreURLSources(t *testing.T) {
	for _, e := range []string{"MINIK8S_STORE", "MINIK8S_STORE_FILE"} {
		t.Setenv(e, "")
		os.Unsetenv(e)
	}
	const url = "postgres://u:secret@db:5432/k8s"
	file := filepath.Join(t.TempDir(), "store")
	if err := os.WriteFile(file, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    string
		wantErr bool
	}{
		{"flag", nil, []string{"--store", url}, url, false},
		{"env", map[string]string{"MINIK8S_STORE": url}, nil, url, false},
		{"file flag", nil, []string{"--store-file", file}, url, false},
		{"file env", map[string]string{"MINIK8S_STORE_FILE": file}, nil, url, false},
		{"both", nil, []string{"--store", url, "--store-file", file}, "", true},
		{"missing file", nil, []string{"--store-file", file + ".missing"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _, err := allConfigOf(t, t.TempDir(), tt.env, tt.args...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && cfg.Store != tt.want {
				t.Errorf("store = %q, want %q", cfg.Store, tt.want)
			}
		})
	}
}
