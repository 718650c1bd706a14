package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"

	"github.com/minik8s/minik8s/internal/testpoll"
)

// Two controller-manager replicas elect one leader through the Lease
// kube-system/kube-controller-manager; when it stops, the other takes over
// and the controllers keep working.
func TestControllerManagerReplicasFailOver(t *testing.T) {
	testsvc.Slow(t, "waits for a failover")
	s := testenv.StartAPIServer(t, testenv.Options{})
	cfg := fastElection(t, s.DataDir)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	fns, err := app.NewControllerManagers(cfg, 2, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, fns)

	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	holder := func() string {
		l, err := c.Leases("kube-system").Get(bg, "kube-controller-manager")
		if err != nil || l.Spec.HolderIdentity == nil {
			return ""
		}
		return *l.Spec.HolderIdentity
	}
	pods := func() int {
		ps, _, err := c.Pods("default").List(bg, client.ListOptions{LabelSelector: "app=web"})
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	eventually(t, 10*time.Second, "a leader", func() bool { return holder() != "" })
	first := holder()
	if _, err := s.Kubectl(t, "", "create", "deployment", "web", "--image=nginx", "--replicas=2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "2 pods", func() bool { return pods() == 2 })

	// Stop the leader (identities end in _cm<replica>); it releases the
	// lease and the standby takes over.
	leader := 0
	if strings.HasSuffix(first, "_cm1") {
		leader = 1
	}
	if err := stop[leader](); err != nil {
		t.Errorf("leader: %v", err)
	}
	eventually(t, 10*time.Second, "the standby to take over", func() bool { h := holder(); return h != "" && h != first })
	if _, err := s.Kubectl(t, "", "scale", "deployment", "web", "--replicas=4"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "4 pods under the new leader", func() bool { return pods() == 4 })
}

// eventually is testpoll.Eventually.
var eventually = testpoll.Eventually
