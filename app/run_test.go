package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/app"
)

// fastElection is app.Default() for the API server whose data dir is
// dataDir, with elections that fail over in about two seconds and no role
// ports (tests run in parallel).
func fastElection(t *testing.T, dataDir string) app.Config {
	t.Helper()
	cfg := app.Default()
	cfg.DataDir = dataDir
	cfg.LeaderElection.LeaseDuration = 2 * time.Second
	cfg.LeaderElection.RenewDeadline = 1500 * time.Millisecond
	cfg.LeaderElection.RetryPeriod = 200 * time.Millisecond
	cfg.ControllerManager.Port, cfg.Scheduler.Port, cfg.Kubelet.Port = 0, 0, 0
	return cfg
}

// run runs each of fns (as the New* constructors return them) until the
// test ends. stop[i] stops fns[i] and returns its error once it has
// returned; later calls return nil. The cleanup stops the rest and
// reports their errors.
func run(t *testing.T, fns []func(context.Context) error) (stop []func() error) {
	t.Helper()
	for _, fn := range fns {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- fn(ctx) }()
		var once sync.Once
		s := func() (err error) {
			once.Do(func() { cancel(); err = <-done })
			return err
		}
		stop = append(stop, s)
		t.Cleanup(func() {
			if err := s(); err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	return stop
}

// runCluster validates cfg and runs, until the test ends, nodes simulated
// kubelets, a scheduler and cms controller-manager replicas on it, as
// `minik8s all` does. It returns the controller managers' stop functions.
func runCluster(t *testing.T, cfg app.Config, nodes, cms int) (stopCM []func() error) {
	t.Helper()
	cfg.Kubelet.Runtime = app.RuntimeSim
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	kubelets, _, err := app.NewKubelets(context.Background(), cfg, cfg.Kubelet, nodes, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	run(t, kubelets)
	scheds, err := app.NewSchedulers(cfg, 1, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	run(t, scheds)
	fns, err := app.NewControllerManagers(cfg, cms, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return run(t, fns)
}
