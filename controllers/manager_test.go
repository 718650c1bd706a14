package controllers_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"

	"github.com/minik8s/minik8s/internal/testpoll"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*controllers.Config)
		ok   bool
	}{
		{"defaults", func(*controllers.Config) {}, true},
		{"no gc workers", func(c *controllers.Config) { c.ConcurrentGCSyncs = 0 }, false},
		{"no namespace workers", func(c *controllers.Config) { c.ConcurrentNamespaceSyncs = -1 }, false},
		{"grace shorter than period", func(c *controllers.Config) { c.NodeMonitorGracePeriod = time.Second }, false},
		{"no monitor period", func(c *controllers.Config) { c.NodeMonitorPeriod = 0 }, false},
		{"negative resync", func(c *controllers.Config) { c.ResyncPeriod = -time.Second }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := controllers.DefaultConfig()
			tc.mod(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// eventually is testpoll.Eventually.
var eventually = testpoll.Eventually

// The manager runs every controller from shared informers: a deployment
// gets its pods, deleting it takes them away, a silent node is marked, and
// a namespace is emptied and removed.
func TestManagerRunsTheControllers(t *testing.T) {
	testsvc.Slow(t, "every controller against an API server and the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := controllers.DefaultConfig()
	cfg.NodeMonitorPeriod, cfg.NodeMonitorGracePeriod = 100*time.Millisecond, time.Second
	m, err := controllers.NewManager(cfg, c, "test", "localhost", zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	bg := context.Background()

	if _, err := s.Kubectl(t, "", "create", "deployment", "web", "--image=nginx", "--replicas=3"); err != nil {
		t.Fatal(err)
	}
	countPods := func() int {
		pods, _, err := c.Pods("default").List(bg, client.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		return len(pods)
	}
	eventually(t, 15*time.Second, "3 pods", func() bool { return countPods() == 3 })
	if _, err := s.Kubectl(t, "", "delete", "deployment", "web", "--timeout=20s"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the pods to go", func() bool { return countPods() == 0 })
	rss, _, err := c.ReplicaSets("default").List(bg, client.ListOptions{})
	if err != nil || len(rss) != 0 {
		t.Fatalf("replica sets after deleting the deployment: %d (%v)", len(rss), err)
	}

	if _, err := c.Nodes().Create(bg, &api.Node{ObjectMeta: api.ObjectMeta{Name: "silent"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the silent node to be tainted unreachable", func() bool {
		n, err := c.Nodes().Get(bg, "silent")
		if err != nil {
			t.Fatal(err)
		}
		for _, tn := range n.Spec.Taints {
			if tn.Key == api.TaintNodeUnreachable && tn.Effect == api.TaintEffectNoExecute {
				return true
			}
		}
		return false
	})

	if _, err := s.Kubectl(t, "", "create", "namespace", "tmp"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Kubectl(t, "", "-n", "tmp", "create", "deployment", "x", "--image=nginx"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Kubectl(t, "", "delete", "namespace", "tmp", "--timeout=20s"); err != nil {
		t.Fatal(err)
	}
}
