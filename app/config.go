package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/minik8s/minik8s/apiserver"
	"github.com/minik8s/minik8s/dashboard"
	"github.com/minik8s/minik8s/store"
)

// Config is the whole configuration; config.yaml at the repository root
// documents every field with its default.
type Config struct {
	// DataDir holds the SQLite file, the token file and the kubeconfig.
	DataDir string `yaml:"dataDir"`
	// Store is the database: empty for a SQLite file in DataDir, a
	// postgres:// URL for Postgres.
	Store string `yaml:"store"`
	// Redis is the watch bus: empty for in-process fan-out (one API
	// server), a redis:// URL to share changes between API servers.
	Redis string `yaml:"redis"`
	// Log configures logging.
	Log LogConfig `yaml:"log"`
	// APIServer is the API server's own configuration.
	APIServer apiserver.Config `yaml:"apiserver"`
	// StoreTuning tunes the SQL store (its DSN comes from Store).
	StoreTuning store.Config `yaml:"storeTuning"`
	// Kubeconfig is how components reach the API server; empty: the admin
	// kubeconfig in DataDir.
	Kubeconfig string `yaml:"kubeconfig"`
	// LeaderElection configures the election of leader-elected roles.
	LeaderElection LeaderElectionConfig `yaml:"leaderElection"`
	// Scheduler is the scheduler's own configuration.
	Scheduler SchedulerConfig `yaml:"scheduler"`
	// ControllerManager is the controller manager's own configuration.
	ControllerManager ControllerManagerConfig `yaml:"controllerManager"`
	// Kubelet is the node agents' configuration.
	Kubelet KubeletConfig `yaml:"kubelet"`
	// Dashboard is the web dashboard's configuration.
	Dashboard dashboard.Config `yaml:"dashboard"`
	// GC tunes the Go garbage collector of the process.
	GC GCConfig `yaml:"gc"`
}

// GCConfig tunes the Go garbage collector (package gcheadroom).
type GCConfig struct {
	// MinHeadroomBytes lets the heap grow by at least this much beyond
	// what is live before the next collection, however small the live
	// heap (Go's default lets it grow by as much as is live); 0: no
	// floor. A GOGC set in the environment wins.
	MinHeadroomBytes int64 `yaml:"minHeadroomBytes"`
	// MaxHeadroomBytes bounds how far the heap grows beyond what is live
	// before the next collection, once the live heap is that large (Go's
	// default lets it grow by as much as is live); 0: no bound. A GOGC
	// set in the environment wins.
	MaxHeadroomBytes int64 `yaml:"maxHeadroomBytes"`
}

func (c GCConfig) validate() error {
	switch {
	case c.MinHeadroomBytes < 0:
		return fmt.Errorf("gc.minHeadroomBytes %d must be 0 (no floor) or positive", c.MinHeadroomBytes)
	case c.MaxHeadroomBytes < 0:
		return fmt.Errorf("gc.maxHeadroomBytes %d must be 0 (no bound) or positive", c.MaxHeadroomBytes)
	case c.MaxHeadroomBytes > 0 && c.MinHeadroomBytes > c.MaxHeadroomBytes:
		return fmt.Errorf("gc.minHeadroomBytes %d must not be above gc.maxHeadroomBytes %d", c.MinHeadroomBytes, c.MaxHeadroomBytes)
	}
	return nil
}

// DefaultMinHeadroomBytes is GCConfig.MinHeadroomBytes's default: 40 MiB.
// With 100 simulated nodes, `all` holds 15–31 MB live while a Deployment
// of 1,000 pods starts, and Go's default collected every 50–80 ms then:
// the floor halves the collections (25 → 12 in the process's life) and
// their CPU (about 350 → 200 ms) for about 13 MiB more peak RSS.
const DefaultMinHeadroomBytes = 40 << 20

// DefaultMaxHeadroomBytes is GCConfig.MaxHeadroomBytes's default: 1 GiB.
// Smaller heaps keep Go's default: `all` with 1,000 simulated nodes and
// 30,000 pods stays under 400 MB live.
const DefaultMaxHeadroomBytes = 1 << 30

// LogConfig configures zerolog.
type LogConfig struct {
	Level  string `yaml:"level"`  // trace, debug, info, warn, error
	Format string `yaml:"format"` // console or json
}

// Default returns the built-in defaults.
func Default() Config {
	st := store.DefaultConfig()
	st.DSN = ""
	return Config{
		DataDir:           ".minik8s",
		Log:               LogConfig{Level: "info", Format: "console"},
		APIServer:         apiserver.DefaultConfig(),
		StoreTuning:       st,
		LeaderElection:    DefaultLeaderElectionConfig(),
		Scheduler:         DefaultSchedulerConfig(),
		ControllerManager: DefaultControllerManagerConfig(),
		Kubelet:           DefaultKubeletConfig(),
		Dashboard:         dashboard.DefaultConfig(),
		GC:                GCConfig{MinHeadroomBytes: DefaultMinHeadroomBytes, MaxHeadroomBytes: DefaultMaxHeadroomBytes},
	}
}

// LoadFile overlays the YAML file at path on c. Unknown keys are an error,
// so that a misspelt setting is not silently ignored.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Validate checks the values a user can get wrong, with messages that say
// how to fix them.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("--data-dir must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.APIServer.Listen); err != nil {
		return fmt.Errorf("--listen %q is not host:port (e.g. 127.0.0.1:6443)", c.APIServer.Listen)
	}
	if c.Store != "" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") && !strings.HasPrefix(c.Store, "sqlite://") {
		return fmt.Errorf("--store %q must be empty (SQLite in the data dir), sqlite://PATH or postgres://USER:PASS@HOST:PORT/DB", c.Store)
	}
	if c.Redis != "" && !strings.HasPrefix(c.Redis, "redis://") && !strings.HasPrefix(c.Redis, "rediss://") {
		return fmt.Errorf("--redis %q must be empty (in-process watch fan-out) or redis://HOST:PORT/DB", c.Redis)
	}
	if err := c.validateScheduler(); err != nil {
		return err
	}
	if err := c.ControllerManager.validate(); err != nil {
		return err
	}
	if err := c.GC.validate(); err != nil {
		return err
	}
	switch c.Log.Level {
	case "trace", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q must be one of trace, debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "console", "json":
	default:
		return fmt.Errorf("--log-format %q must be console or json", c.Log.Format)
	}
	return nil
}

// StoreDSN is the store's DSN: Store, or the SQLite file in DataDir.
func (c *Config) StoreDSN() string {
	if c.Store != "" {
		return c.Store
	}
	return filepath.Join(c.DataDir, "minik8s.db")
}

// KubeconfigPath is where the admin kubeconfig is written.
func (c *Config) KubeconfigPath() string { return filepath.Join(c.DataDir, "kubeconfig") }

// APISocket is the Unix socket the API server serves its data dir's
// components on (see kubeconfig.SocketExtension).
func (c *Config) APISocket() string { return filepath.Join(c.DataDir, "apiserver.sock") }

// TokenFile is the bearer token file.
func (c *Config) TokenFile() string { return filepath.Join(c.DataDir, "tokens.csv") }
