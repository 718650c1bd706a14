package kubelet_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/kubelet"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/pki"
)

// waitTimeout bounds every wait of these tests.
const waitTimeout = 30 * time.Second

// behaviour is what a test container does, whatever the runtime.
type behaviour struct {
	print []string      // lines to write to stdout
	exit  int           // exit code, -1 to run until stopped
	after time.Duration // delay before exiting
}

// harness runs an API server and a kubelet of one node on a runtime.
type harness struct {
	t         *testing.T
	s         *testenv.APIServer
	c         *client.Client
	node      string
	simulated bool
	rt        runtime.Runtime
	// pod makes a pod whose container behaves as b on this runtime.
	pod func(name string, b behaviour) *api.Pod
	// kill kills a running container as `docker kill` would.
	kill func(t *testing.T, pod *api.Pod, container string)

	// adminTokens, if set, turns the node agent controls on.
	adminTokens *authn.Tokens
	// configure, if set, changes the kubelet's configuration; clock, if
	// set, is the kubelet's clock.
	configure func(*kubelet.Config)
	clock     func() time.Time

	k      *kubelet.Kubelet
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T, node string, rt runtime.Runtime, simulated bool) *harness {
	t.Helper()
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, s: s, c: c, node: node, rt: rt, simulated: simulated}
}

// start runs a kubelet until stop or the end of the test.
func (h *harness) start() {
	h.t.Helper()
	cfg := kubelet.DefaultConfig()
	cfg.Port = 0
	cfg.NodeLeaseRenewInterval = 500 * time.Millisecond
	cfg.NodeStatusUpdateInterval = time.Second
	cfg.RelistPeriod = 200 * time.Millisecond
	cfg.RootDir = h.t.TempDir()
	if h.configure != nil {
		h.configure(&cfg)
	}
	h.publishRootCA()
	ctx, cancel := context.WithCancel(context.Background())
	rec := events.New(events.ClientSink(h.c), events.Config{Source: "kubelet", Host: h.node}, zerolog.Nop())
	k, err := kubelet.New(cfg, kubelet.Deps{Client: h.c, TLS: h.tls(), Nodes: []kubelet.Node{{
		Name: h.node, Runtime: h.rt, Simulated: h.simulated, Events: rec,
	}}, AdminTokens: h.adminTokens}, zerolog.Nop())
	if err != nil {
		h.t.Fatal(err)
	}
	if h.clock != nil {
		k.SetClock(h.clock)
	}
	h.k, h.cancel, h.done = k, cancel, make(chan error, 1)
	go func() { _ = rec.Run(ctx) }()
	go func() { h.done <- k.Run(ctx) }()
	h.t.Cleanup(h.stop)
}

// publishRootCA creates the kube-root-ca.crt ConfigMap in default, as the
// controller manager's root CA publisher does: pods' kube-api-access
// volumes need it.
func (h *harness) publishRootCA() {
	h.t.Helper()
	ca, err := os.ReadFile(filepath.Join(h.s.DataDir, "ca.crt"))
	if err != nil {
		h.t.Fatal(err)
	}
	cm := &api.ConfigMap{ObjectMeta: api.ObjectMeta{Name: "kube-root-ca.crt", Namespace: "default"}, Data: map[string]string{"ca.crt": string(ca)}}
	_, err = client.Resource[api.ConfigMap](h.c, client.ConfigMaps, "default").Create(context.Background(), cm)
	if err != nil && !client.IsAlreadyExists(err) {
		h.t.Fatal(err)
	}
}

// tls is the log server's TLS config, from the API server's CA, as
// app.NewKubelets makes it.
func (h *harness) tls() *tls.Config {
	h.t.Helper()
	ca, err := pki.LoadCA(h.s.DataDir)
	if err != nil {
		h.t.Fatal(err)
	}
	cert, err := ca.ServingCert("system:node:"+h.node, []string{"127.0.0.1"})
	if err != nil {
		h.t.Fatal(err)
	}
	return ca.ServerTLS(cert)
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("kubelet Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Errorf("kubelet did not stop within 10s")
	}
}

// run creates the pod in default and binds it to the node.
func (h *harness) run(p *api.Pod) *api.Pod {
	h.t.Helper()
	ctx := context.Background()
	p.Namespace = "default"
	created, err := h.c.Pods("default").Create(ctx, p)
	if err != nil {
		h.t.Fatalf("create pod %s: %v", p.Name, err)
	}
	if err := h.c.Pods("default").Bind(ctx, &api.Binding{
		ObjectMeta: api.ObjectMeta{Name: p.Name, Namespace: "default"},
		Target:     api.ObjectReference{Kind: "Node", Name: h.node},
	}); err != nil {
		h.t.Fatalf("bind pod %s: %v", p.Name, err)
	}
	return created
}

// waitPod polls the pod until cond holds.
func (h *harness) waitPod(name, what string, cond func(*api.Pod) bool) *api.Pod {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var last *api.Pod
	for time.Now().Before(deadline) {
		p, err := h.c.Pods("default").Get(context.Background(), name)
		if err == nil && cond(p) {
			return p
		}
		if err == nil {
			last = p
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("pod %s: not %s within %s; last status: %s%s", name, what, waitTimeout, describeStatus(last), h.warnings(name))
	return nil
}

// warnings lists the pod's Warning events, which say why a pod is stuck
// (FailedCreatePodSandBox, BackOff) where its status only says
// ContainerCreating.
func (h *harness) warnings(name string) string {
	evs, _, err := h.c.Events("default").List(context.Background(), client.ListOptions{
		FieldSelector: "involvedObject.name=" + name + ",type=Warning"})
	if err != nil {
		return "; events: " + err.Error()
	}
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n\tWarning %s (x%d): %s", e.Reason, max(e.Count, 1), e.Message)
	}
	return b.String()
}

// waitGone polls until the pod no longer exists.
func (h *harness) waitGone(name string, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		_, err := h.c.Pods("default").Get(context.Background(), name)
		if client.IsNotFound(err) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("pod %s still exists after %s", name, within)
}

// waitRuntimeEmpty polls until the runtime has no sandbox or container of
// the pod.
func (h *harness) waitRuntimeEmpty(uid string, within time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ps, err := h.rt.PodStatus(context.Background(), uid)
		if err == nil && ps.SandboxID == "" && len(ps.Containers) == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("runtime still has pod %s after %s: %+v (err %v)", uid, within, ps, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *harness) kubectl(args ...string) string {
	h.t.Helper()
	out, err := h.s.Kubectl(h.t, "", args...)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func describeStatus(p *api.Pod) string {
	if p == nil {
		return "none"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "phase %s", p.Status.Phase)
	for _, cs := range p.Status.ContainerStatuses {
		fmt.Fprintf(&b, "; %s restarts %d ready %v", cs.Name, cs.RestartCount, cs.Ready)
		switch s := cs.State; {
		case s.Waiting != nil:
			fmt.Fprintf(&b, " waiting %s %s", s.Waiting.Reason, s.Waiting.Message)
		case s.Running != nil:
			b.WriteString(" running")
		case s.Terminated != nil:
			fmt.Fprintf(&b, " terminated %d %s", s.Terminated.ExitCode, s.Terminated.Reason)
		}
	}
	return b.String()
}

func isRunningReady(p *api.Pod) bool {
	return p.Status.Phase == api.PodRunning && api.IsPodReady(p) && p.Status.PodIP != ""
}

func container(p *api.Pod, name string) *api.ContainerStatus {
	for i := range p.Status.ContainerStatuses {
		if p.Status.ContainerStatuses[i].Name == name {
			return &p.Status.ContainerStatuses[i]
		}
	}
	return nil
}
