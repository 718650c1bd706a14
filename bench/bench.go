package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Need is a service a scenario cannot run without.
type Need string

const (
	NeedPostgres Need = "postgres"
	NeedRedis    Need = "redis"
	// NeedScale marks the scale scenarios, which take minutes: they run
	// only with Options.Scale (--scale).
	NeedScale Need = "scale"
)

// Scenario is one measurement. Run reports its figures with Env.Report as
// it goes, so that what was measured before a failure is still printed;
// it returns an error only when it could not finish.
type Scenario struct {
	Name  string // for --only: lower case, no spaces
	Help  string // one line, for --list
	Needs []Need
	Run   func(ctx context.Context, env *Env) error
}

// Params size the runs. Every scenario reads the fields it needs; a new
// scenario adds its own fields here and in DefaultParams.
type Params struct {
	// Creates is the number of objects created (then updated) per run.
	Creates int
	// Clients are the concurrent client counts of the throughput runs.
	Clients []int
	// WatchEvents is the number of creates whose delivery to a watcher is
	// timed, sent at WatchRate per second.
	WatchEvents int
	WatchRate   float64
	// PgbenchDuration is how long each pgbench run lasts.
	PgbenchDuration time.Duration
	// RunTimeout bounds each run; a run cut short reports how far it got.
	RunTimeout time.Duration
	// SchedNodes Node objects (no kubelets) and SchedPods pending pods,
	// created by SchedClients concurrent clients, measure the scheduler.
	SchedNodes   int
	SchedPods    int
	SchedClients int
	// RBACObjects Roles and as many RoleBindings are seeded for
	// api-sqlite-rbac.
	RBACObjects int
	// ClusterNodes simulated nodes run in one `minik8s all`, which gets a
	// Deployment of Replicas pods.
	ClusterNodes int
	Replicas     int
	// PortForwardMiB is the size of the file downloaded through kubectl
	// port-forward.
	PortForwardMiB int
	// ScaleNodes simulated nodes and a Deployment of ScalePods make the
	// all-10k scenario; HugeNodes and HugePods the all-150k one (with a
	// rolling update and a scale to zero). Both run only with --scale.
	ScaleNodes int
	ScalePods  int
	HugeNodes  int
	HugePods   int
	// ScaleTimeout bounds each step of the scale scenarios (nodes Ready,
	// each phase), instead of RunTimeout.
	ScaleTimeout time.Duration
}

// DefaultParams returns the full-size parameters, or with quick those of a
// short smoke run that only shows that every step works.
func DefaultParams(quick bool) Params {
	if quick {
		return Params{
			Creates:         100,
			Clients:         []int{1, 8},
			WatchEvents:     50,
			WatchRate:       200,
			PgbenchDuration: 2 * time.Second,
			RunTimeout:      10 * time.Second,
			SchedNodes:      50,
			SchedPods:       500,
			SchedClients:    8,
			RBACObjects:     100,
			ClusterNodes:    10,
			Replicas:        100,
			PortForwardMiB:  16,
			ScaleNodes:      20,
			ScalePods:       200,
			HugeNodes:       50,
			HugePods:        1000,
			ScaleTimeout:    2 * time.Minute,
		}
	}
	return Params{
		Creates:         3000,
		Clients:         []int{1, 8},
		WatchEvents:     2000,
		WatchRate:       200,
		PgbenchDuration: 10 * time.Second,
		RunTimeout:      60 * time.Second,
		SchedNodes:      1000,
		SchedPods:       10000,
		SchedClients:    16,
		RBACObjects:     1000,
		ClusterNodes:    100,
		Replicas:        1000,
		PortForwardMiB:  128,
		ScaleNodes:      1000,
		ScalePods:       10000,
		HugeNodes:       5000,
		HugePods:        150000,
		ScaleTimeout:    30 * time.Minute,
	}
}

// Options configure Run.
type Options struct {
	// Binary is the minik8s executable whose servers are measured.
	Binary string
	// Postgres is the URL of a Postgres database whose server the benchmark
	// may create and drop databases on; "" skips the scenarios needing it.
	Postgres string
	// Redis is a Redis URL; "" skips the scenarios needing it.
	Redis string
	// Scale runs the scale scenarios (NeedScale); without it they are
	// reported as skipped.
	Scale bool
	// Only selects scenarios by name; empty runs them all.
	Only []string
	// Params size the runs.
	Params Params
	// WorkDir holds the servers' data dirs and logs; "" uses a temporary
	// directory, removed at the end.
	WorkDir string
	// CommandLine is printed at the top of the output.
	CommandLine string
	// ProfileDir, if set, receives a CPU profile of the API server (of
	// `all`: the whole process) over the first ProfileFor of each timed
	// scheduler and cluster run, for go tool pprof.
	ProfileDir string
	ProfileFor time.Duration
}

// Select returns the scenarios named in only (all of them when only is
// empty), in registry order, or an error naming an unknown one.
func Select(only []string) ([]Scenario, error) {
	all := Scenarios()
	if len(only) == 0 {
		return all, nil
	}
	var out []Scenario
	for _, name := range only {
		i := slices.IndexFunc(all, func(s Scenario) bool { return s.Name == name })
		if i < 0 {
			names := make([]string, len(all))
			for j, s := range all {
				names[j] = s.Name
			}
			return nil, fmt.Errorf("unknown scenario %q (have %s)", name, strings.Join(names, ", "))
		}
	}
	for _, s := range all {
		if slices.Contains(only, s.Name) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Run runs the selected scenarios one after another, writing the header
// (command line and machine facts) and, at the end, the table of figures
// to out, and progress lines to progress. It returns an error if a scenario
// failed or ctx was cancelled; missed targets are not errors.
func Run(ctx context.Context, opt Options, out, progress io.Writer) error {
	scenarios, err := Select(opt.Only)
	if err != nil {
		return err
	}
	if opt.Binary == "" {
		return errors.New("no minik8s binary given")
	}
	if opt.Binary, err = filepath.Abs(opt.Binary); err != nil {
		return fmt.Errorf("resolve binary path: %w", err)
	}
	if _, err := os.Stat(opt.Binary); err != nil {
		return fmt.Errorf("minik8s binary: %w (run make build)", err)
	}
	dir := opt.WorkDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "minik8s-bench-"); err != nil {
			return fmt.Errorf("create work dir: %w", err)
		}
		defer os.RemoveAll(dir)
	}

	writeHeader(ctx, out, opt)

	var rows []Row
	var notes []string
	var failed []string
	kept := map[string]float64{}
	for _, s := range scenarios {
		if missing := missingNeeds(s, opt); missing != "" {
			rows = append(rows, Row{Figure: s.Name, Measured: "needs " + missing, Verdict: VerdictSkipped})
			continue
		}
		env := &Env{
			kept:       kept,
			Params:     opt.Params,
			Binary:     opt.Binary,
			Postgres:   opt.Postgres,
			Redis:      opt.Redis,
			name:       s.Name,
			dir:        filepath.Join(dir, s.Name),
			progress:   progress,
			profileDir: opt.ProfileDir,
			profileFor: opt.ProfileFor,
		}
		start := time.Now()
		env.Logf("start")
		err := env.run(ctx, s)
		rows = append(rows, env.rows...)
		for _, n := range env.notes {
			if !slices.Contains(notes, n) {
				notes = append(notes, n)
			}
		}
		if err != nil {
			failed = append(failed, s.Name)
			rows = append(rows, Row{Figure: s.Name, Measured: err.Error(), Verdict: VerdictError})
			env.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
		} else {
			env.Logf("done in %s", time.Since(start).Round(time.Millisecond))
		}
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintln(out)
	writeTable(out, rows)
	if len(notes) > 0 {
		fmt.Fprintln(out, "\nnotes:")
		for _, n := range notes {
			fmt.Fprintln(out, "- "+n)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if len(failed) > 0 {
		return fmt.Errorf("scenarios failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

func missingNeeds(s Scenario, opt Options) string {
	var missing []string
	for _, n := range s.Needs {
		if n == NeedPostgres && opt.Postgres == "" || n == NeedRedis && opt.Redis == "" || n == NeedScale && !opt.Scale {
			missing = append(missing, "--"+string(n))
		}
	}
	return strings.Join(missing, " and ")
}

// Env is what a scenario runs with: its parameters, the services, and
// helpers that start servers and databases and clean them up when the
// scenario ends. It belongs to the scenario's goroutine: only Logf may be
// called from others.
type Env struct {
	Params   Params
	Binary   string
	Postgres string
	Redis    string

	name       string
	dir        string
	progress   io.Writer
	profileDir string
	profileFor time.Duration
	rows       []Row
	notes      []string
	cleanups   []func() error
	seq        int
	// kept holds figures a scenario leaves for later ones of the same
	// Run (keep, kept), such as all-sqlite's CPU per pod for all-10k.
	kept map[string]float64
}

// Report adds figures to the table.
func (e *Env) Report(rows ...Row) { e.rows = append(e.rows, rows...) }

// keep leaves a figure under name for the scenarios that run after this
// one in the same Run.
func (e *Env) keep(name string, v float64) {
	if e.kept == nil {
		e.kept = map[string]float64{}
	}
	e.kept[name] = v
}

// keptFigure returns a figure an earlier scenario of the same Run kept.
func (e *Env) keptFigure(name string) (float64, bool) {
	v, ok := e.kept[name]
	return v, ok
}

// Note adds a note printed under the table (once, however many scenarios
// add it): how a figure was measured, when the table alone would mislead.
func (e *Env) Note(text string) { e.notes = append(e.notes, text) }

// Logf writes a progress line prefixed with the scenario's name.
func (e *Env) Logf(format string, args ...any) {
	fmt.Fprintf(e.progress, "%s %s: %s\n", time.Now().Format("15:04:05"), e.name, fmt.Sprintf(format, args...))
}

// newDir returns a fresh directory for one server or tool run.
func (e *Env) newDir(prefix string) (string, error) {
	e.seq++
	d := filepath.Join(e.dir, fmt.Sprintf("%s-%d", prefix, e.seq))
	// A --workdir used before holds old data dirs: start afresh.
	if err := os.RemoveAll(d); err != nil {
		return "", fmt.Errorf("clear dir: %w", err)
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return "", fmt.Errorf("create dir: %w", err)
	}
	return d, nil
}

// onCleanup registers f to run when the scenario ends, last registered first.
func (e *Env) onCleanup(f func() error) { e.cleanups = append(e.cleanups, f) }

// run runs s, then every cleanup, even after a failure or cancellation.
func (e *Env) run(ctx context.Context, s Scenario) error {
	err := s.Run(ctx, e)
	e.Close()
	return err
}

// NewEnv returns an Env for code that starts servers outside Run, such as
// the chaos suite: name prefixes its progress lines, binary is the minik8s
// executable (an absolute path), dir holds the servers' data dirs and logs.
// The caller calls Close when done.
func NewEnv(name, binary, dir string, progress io.Writer) *Env {
	return &Env{Binary: binary, name: name, dir: dir, progress: progress}
}

// Close stops every server and drops every database the Env started, last
// started first, logging what fails. It may be called more than once.
func (e *Env) Close() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		if cerr := e.cleanups[i](); cerr != nil {
			e.Logf("clean up: %v", cerr)
		}
	}
	e.cleanups = nil
}
