package kubelet_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/kubelet"
)

// TestStatusLandsSoonAfterAPIServerReturns: a pod status that could not be
// written while the API server was down is written once the server
// answers again, not when the pod's (long) back-off runs out.
func TestStatusLandsSoonAfterAPIServerReturns(t *testing.T) {
	t.Parallel()
	const backoff = time.Minute // far longer than the wait below
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	opts := testenv.Options{DataDir: t.TempDir(), Configure: func(c *app.Config) { c.APIServer.Listen = addr }}
	s := testenv.StartAPIServer(t, opts)
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := c.Pods("default").Create(ctx, &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default"},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "x"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := kubelet.NewStatusWriter(c, backoff, func(_, _ string) string { return p.UID })
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	s.Stop()
	// Written while the server is down: fails, and backs off a minute.
	w.Set(p.UID, "default", "p", []byte(`{"message":"written after the outage"}`))
	s = testenv.StartAPIServer(t, opts)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := c.Pods("default").Get(ctx, "p")
		if err == nil && got.Status.Message == "written after the outage" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("status not written within 20s of the API server's return (err %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
