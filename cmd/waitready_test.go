package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/syncbuf"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testpoll"
)

// TestWaitReady: waitReady counts the Ready nodes it watches, prints the
// count as it changes, and returns once a node that was not Ready becomes
// so (a status update, not a new node); it returns false when its
// context ends first.
func TestWaitReady(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	node := func(name string, status api.ConditionStatus) *api.Node {
		n := &api.Node{ObjectMeta: api.ObjectMeta{Name: name}}
		n.Status.Conditions = []api.NodeCondition{{Type: api.NodeReady, Status: status, Reason: "Test", LastHeartbeatTime: api.Now(), LastTransitionTime: api.Now()}}
		got, err := c.Nodes().Create(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	node("a", api.ConditionTrue)
	b := node("b", api.ConditionFalse)

	out := new(syncbuf.Buffer)
	result := make(chan bool, 1)
	go func() { result <- waitReady(ctx, out, s.Kubeconfig, 2, time.Now()) }()
	testpoll.Eventually(t, 10*time.Second, "1/2 Ready printed", func() bool {
		return strings.Contains(out.String(), "waiting for nodes: 1/2 Ready\n")
	})
	select {
	case <-result:
		t.Fatalf("waitReady returned with one node of two Ready:\n%s", out)
	case <-time.After(200 * time.Millisecond):
	}

	b.Status.Conditions[0].Status = api.ConditionTrue
	if _, err := c.Nodes().UpdateStatus(ctx, b); err != nil {
		t.Fatal(err)
	}
	select {
	case ok := <-result:
		if !ok || !strings.Contains(out.String(), "waiting for nodes: 2/2 Ready\ncluster ready in ") {
			t.Fatalf("waitReady = %v, printed:\n%s", ok, out)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("waitReady did not return after both nodes were Ready:\n%s", out)
	}

	cctx, cancel := context.WithCancel(ctx)
	go func() { result <- waitReady(cctx, new(syncbuf.Buffer), s.Kubeconfig, 3, time.Now()) }()
	cancel()
	select {
	case ok := <-result:
		if ok {
			t.Fatal("waitReady for 3 nodes of 2 reported ready")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waitReady did not return when its context ended")
	}
}
