package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"
	"sigs.k8s.io/yaml"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/dashboard"
	"github.com/minik8s/minik8s/internal/gcheadroom"
	"github.com/minik8s/minik8s/version"
)

// App builds the command line.
func App() *cli.App {
	a := &cli.App{
		Name:    "minik8s",
		Usage:   "a small, real Kubernetes control plane in one binary",
		Version: version.Version,
		Flags:   globalFlags(),
		Commands: []*cli.Command{
			{
				Name:   "apiserver",
				Usage:  "run the API server",
				Flags:  append(serverFlags(), dashboardFlags(false)...),
				Action: runAPIServer,
			},
			schedulerCommand(),
			controllerManagerCommand(),
			kubeletCommand(),
			allCommand(),
			resetCommand(),
			{
				Name:  "kubeconfig",
				Usage: "print the admin kubeconfig of the cluster in --data-dir, or with --user one for a new credential",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "user", Usage: "mint a client certificate for this user (signed by the cluster CA) and print a kubeconfig for it"},
					&cli.StringSliceFlag{Name: "group", Usage: "a group of --user (repeat for several)"},
				},
				Action: func(c *cli.Context) error {
					if c.Args().Present() {
						return fmt.Errorf("kubeconfig takes no arguments, got %q", c.Args().First())
					}
					cfg, err := loadConfig(c)
					if err != nil {
						return err
					}
					if c.IsSet("user") || c.IsSet("group") {
						if !c.IsSet("user") {
							return errors.New("--group needs --user")
						}
						kc, err := cfg.UserKubeconfig(c.String("user"), c.StringSlice("group"))
						if err != nil {
							return err
						}
						b, err := yaml.Marshal(kc)
						if err != nil {
							return err
						}
						_, err = c.App.Writer.Write(b)
						return err
					}
					b, err := os.ReadFile(cfg.KubeconfigPath())
					if err != nil {
						return fmt.Errorf("read kubeconfig: %w (start the API server with this --data-dir first)", err)
					}
					_, err = c.App.Writer.Write(b)
					return err
				},
			},
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(c *cli.Context) error {
					fmt.Fprintf(c.App.Writer, "minik8s %s (Kubernetes API %s, %s, %s/%s)\n",
						version.Version, version.KubernetesVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH)
					return nil
				},
			},
		},
		// Errors are printed once, by main.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, cmd := range a.Commands {
		cmd.Flags = append(cmd.Flags, globalFlags()...)
	}
	return a
}

// globalFlags are accepted before the command and after it
// (`minik8s --data-dir D all` and `minik8s all --data-dir D`); see
// lookup.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "YAML config file (see config.yaml); default ./config.yaml if present", EnvVars: []string{"MINIK8S_CONFIG"}},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "trace, debug, info, warn or error", EnvVars: []string{"MINIK8S_LOG_LEVEL"}},
		&cli.StringFlag{Name: "log-format", Value: "console", Usage: "console or json", EnvVars: []string{"MINIK8S_LOG_FORMAT"}},
		&cli.StringFlag{Name: "data-dir", Value: ".minik8s", Usage: "directory for the SQLite file, CA, tokens and kubeconfig", EnvVars: []string{"MINIK8S_DATA_DIR"}},
	}
}

// lookup returns a flag's value where it was set: after the command, or
// else before it. (urfave/cli looks only in the first context that
// defines a flag, and every command defines the global ones too.)
func lookup(c *cli.Context, name string) (string, bool) {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return ctx.String(name), true
		}
	}
	return "", false
}

// serverFlags are the flags every server role takes.
func serverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "listen", Value: "127.0.0.1:6443", Usage: "API server address, host:port", EnvVars: []string{"MINIK8S_LISTEN"}},
		&cli.StringFlag{Name: "store", Usage: "database: empty for SQLite in the data dir, or postgres://USER:PASS@HOST:PORT/DB (a password here shows in ps: prefer MINIK8S_STORE, --store-file or PGPASSWORD)", EnvVars: []string{"MINIK8S_STORE"}},
		&cli.StringFlag{Name: "store-file", Usage: "file whose content is the --store URL", EnvVars: []string{"MINIK8S_STORE_FILE"}},
		&cli.StringFlag{Name: "redis", Usage: "watch fan-out: empty for in-process, or redis://HOST:PORT/DB to share changes between API servers", EnvVars: []string{"MINIK8S_REDIS"}},
		&cli.StringFlag{Name: "audit-log", Usage: "append an audit log (audit.k8s.io/v1 events, JSON lines) to this file; off when empty", EnvVars: []string{"MINIK8S_AUDIT_LOG"}},
		&cli.StringFlag{Name: "audit-policy", Usage: "audit policy file (Kubernetes' Policy format); default: every request at Metadata", EnvVars: []string{"MINIK8S_AUDIT_POLICY"}},
	}
}

// loadConfig builds the configuration: defaults, then the config file,
// then environment variables and flags (urfave/cli reports both as set).
func loadConfig(c *cli.Context) (app.Config, error) {
	cfg := app.Default()
	path, _ := lookup(c, "config")
	if path == "" {
		if _, err := os.Stat("config.yaml"); err == nil {
			path = "config.yaml"
		}
	}
	if path != "" {
		if err := cfg.LoadFile(path); err != nil {
			return cfg, err
		}
	}
	set := func(name string, dst *string) {
		if v, ok := lookup(c, name); ok {
			*dst = v
		}
	}
	set("data-dir", &cfg.DataDir)
	set("log-level", &cfg.Log.Level)
	set("log-format", &cfg.Log.Format)
	set("listen", &cfg.APIServer.Listen)
	set("store", &cfg.Store)
	set("redis", &cfg.Redis)
	set("audit-log", &cfg.APIServer.Audit.Path)
	set("audit-policy", &cfg.APIServer.Audit.PolicyFile)
	if path, ok := lookup(c, "store-file"); ok && path != "" {
		if _, both := lookup(c, "store"); both {
			return cfg, errors.New("--store and --store-file (or MINIK8S_STORE and MINIK8S_STORE_FILE) are both set: pass one")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("--store-file: %w", err)
		}
		cfg.Store = strings.TrimSpace(string(b))
	}
	return cfg, cfg.Validate()
}

// setUp prepares the process for its role: the root logger, and the
// bound on the garbage collector's headroom (package gcheadroom), which
// lasts as long as the process.
func setUp(cfg app.Config) zerolog.Logger {
	log := newLogger(cfg.Log, os.Stderr)
	gcheadroom.Start(gcheadroom.Bounds{Min: cfg.GC.MinHeadroomBytes, Max: cfg.GC.MaxHeadroomBytes}, log)
	return log
}

// newLogger builds the root logger. The console format has colours only
// on a terminal: in a file or a pipe, escape codes are noise.
func newLogger(cfg app.LogConfig, w io.Writer) zerolog.Logger {
	zerolog.TimeFieldFormat = time.RFC3339Nano
	if cfg.Format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000", NoColor: !isTerminal(w)}
	}
	lvl, err := zerolog.ParseLevel(cfg.Level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func runAPIServer(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return err
	}
	log := setUp(cfg)
	a, err := app.NewAPIServer(c.Context, cfg, log)
	if err != nil {
		return err
	}
	log.Info().Str("url", a.URL).Str("kubeconfig", a.Kubeconfig).Msg(a.Backends)
	fns := []func(context.Context) error{a.Run}
	if c.Bool("dashboard") {
		d, err := newDashboard(c, cfg, log)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "dashboard: open %s (the link works once)\n", d.LoginURL())
		fns = append(fns, d.Run)
	}
	return run(c.Context, fns...)
}

// run runs the roles until ctx is done or one fails; the first error
// cancels the rest. A clean stop returns nil.
func run(ctx context.Context, fns ...func(context.Context) error) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, fn := range fns {
		g.Go(func() error { return fn(ctx) })
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// dashboardFlags turn the web dashboard on or off (on by default in all).
func dashboardFlags(on bool) []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "dashboard", Value: on, Usage: "serve the web dashboard on loopback (see README)"},
		&cli.StringFlag{Name: "dashboard-listen", Value: app.Default().Dashboard.Listen, Usage: "address of the web dashboard; port 0: a free port"},
	}
}

// newDashboard builds the dashboard with --dashboard-listen applied.
func newDashboard(c *cli.Context, cfg app.Config, log zerolog.Logger) (*dashboard.Server, error) {
	if c.IsSet("dashboard-listen") {
		cfg.Dashboard.Listen = c.String("dashboard-listen")
	}
	return app.NewDashboard(cfg, log)
}
