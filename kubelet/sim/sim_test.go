package sim_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
	"github.com/minik8s/minik8s/kubelet/runtimetest"
	"github.com/minik8s/minik8s/kubelet/sim"
)

func newSim(t testing.TB, cfg sim.Config) *sim.Runtime {
	t.Helper()
	r, err := sim.New(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConformance(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.StartDelay, cfg.StartJitter = 10*time.Millisecond, 20*time.Millisecond
	// A simulated node's state lives in its Runtime, so a "restarted
	// kubelet" of the same test gets the same Runtime back.
	var nodes sync.Map // *testing.T → *sim.Runtime
	runtimetest.Run(t, runtimetest.TestAppImage, func(t *testing.T) runtime.Runtime {
		r, _ := nodes.LoadOrStore(t, newSim(t, cfg))
		return r.(*sim.Runtime)
	})
}

func TestNewRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*sim.Config)
	}{
		{"bad cidr", func(c *sim.Config) { c.PodCIDR = "10.0.0.0" }},
		{"ipv6", func(c *sim.Config) { c.PodCIDR = "fd00::/64" }},
		{"too small", func(c *sim.Config) { c.PodCIDR = "10.0.0.0/31" }},
		{"negative delay", func(c *sim.Config) { c.StartDelay = -time.Second }},
		{"bad cpu", func(c *sim.Config) { c.CPU = "lots" }},
		{"bad memory", func(c *sim.Config) { c.Memory = "" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := sim.DefaultConfig()
			tt.edit(&cfg)
			if _, err := sim.New(cfg, zerolog.Nop()); err == nil {
				t.Errorf("New accepted %+v", cfg)
			}
		})
	}
}

func TestNodePodCIDR(t *testing.T) {
	for i, want := range map[int]string{
		0: "10.244.0.0/24", 1: "10.244.1.0/24", 255: "10.244.255.0/24",
		256: "10.245.0.0/24", 3071: "10.255.255.0/24", 3072: "10.244.0.0/24",
	} {
		if got := sim.NodePodCIDR(i); got != want {
			t.Errorf("NodePodCIDR(%d) = %s, want %s", i, got, want)
		}
	}
}

func testPod(name string, ann map[string]string) *api.Pod {
	return &api.Pod{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: name, UID: "uid-" + name, Annotations: ann},
		Spec:       api.PodSpec{Containers: []api.Container{{Name: "app", Image: "app:1"}}},
	}
}

func TestPodCIDRExhaustedAndReused(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.PodCIDR = "10.1.0.0/29" // .2 to .6
	r := newSim(t, cfg)
	ctx := context.Background()
	seen := map[string]bool{}
	for i := range 5 {
		sb, err := r.EnsureSandbox(ctx, testPod(fmt.Sprint(i), nil))
		if err != nil {
			t.Fatalf("pod %d: %v", i, err)
		}
		if seen[sb.IP] || sb.IP == "10.1.0.1" {
			t.Errorf("pod %d got IP %s, reused or the gateway", i, sb.IP)
		}
		seen[sb.IP] = true
	}
	if _, err := r.EnsureSandbox(ctx, testPod("6", nil)); err == nil {
		t.Fatal("sixth pod got an IP from a /29")
	}
	if err := r.RemovePod(ctx, "uid-2"); err != nil {
		t.Fatal(err)
	}
	if sb, err := r.EnsureSandbox(ctx, testPod("6", nil)); err != nil || sb.IP != "10.1.0.4" {
		t.Errorf("after freeing 10.1.0.4: %+v, %v", sb, err)
	}
}

func TestAnnotations(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.StartDelay, cfg.StartJitter = 0, 0
	for _, tt := range []struct {
		name    string
		ann     map[string]string
		wantErr error
		state   runtime.State
		code    int
	}{
		{"none", nil, nil, runtime.StateRunning, 0},
		{"exit code only", map[string]string{sim.AnnotationExitCode: "4"}, nil, runtime.StateExited, 4},
		{"exit after zero", map[string]string{sim.AnnotationExitAfter: "0s"}, nil, runtime.StateExited, 0},
		{"exit later", map[string]string{sim.AnnotationExitAfter: "1h"}, nil, runtime.StateRunning, 0},
		{"fail start", map[string]string{sim.AnnotationFailStart: "true"}, runtime.ErrRunContainer, runtime.StateExited, 128},
		{"fail start false", map[string]string{sim.AnnotationFailStart: "false"}, nil, runtime.StateRunning, 0},
		{"image absent", map[string]string{sim.AnnotationImageAbsent: "true"}, runtime.ErrImagePull, "", 0},
		{"bad duration", map[string]string{sim.AnnotationExitAfter: "soon"}, runtime.ErrCreateContainer, "", 0},
		{"bad code", map[string]string{sim.AnnotationExitCode: "300"}, runtime.ErrCreateContainer, "", 0},
		{"bad bool", map[string]string{sim.AnnotationIgnoreSIGTERM: "yes please"}, runtime.ErrCreateContainer, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, ctx := newSim(t, cfg), context.Background()
			p := testPod("p", tt.ann)
			sb, err := r.EnsureSandbox(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.StartContainer(ctx, p, &p.Spec.Containers[0], nil, sb.ID, 0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("StartContainer: %v, want %v", err, tt.wantErr)
			}
			st, _ := r.PodStatus(ctx, p.UID)
			c := st.Latest("app")
			if tt.state == "" {
				if c != nil {
					t.Errorf("a container was recorded: %+v", c)
				}
				return
			}
			if c == nil || c.State != tt.state || c.ExitCode != tt.code {
				t.Errorf("container %+v, want %s with code %d", c, tt.state, tt.code)
			}
		})
	}
}

func TestKillNotifies(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.StartDelay, cfg.StartJitter = 20*time.Millisecond, 0
	r, ctx := newSim(t, cfg), context.Background()
	notified := make(chan string, 10)
	r.Notify(func(uid string) { notified <- uid })

	p := testPod("p", nil)
	sb, _ := r.EnsureSandbox(ctx, p)
	if _, err := r.StartContainer(ctx, p, &p.Spec.Containers[0], nil, sb.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Kill(p.UID, "app", 137); !errors.Is(err, runtime.ErrNotFound) {
		t.Errorf("Kill before the container runs: %v, want ErrNotFound", err)
	}
	select { // created → running after the delay
	case uid := <-notified:
		if uid != p.UID {
			t.Errorf("notified %q, want %q", uid, p.UID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification of the start")
	}
	if err := r.Kill(p.UID, "app", 137); err != nil {
		t.Fatal(err)
	}
	if uid := <-notified; uid != p.UID {
		t.Errorf("notified %q, want %q", uid, p.UID)
	}
	st, _ := r.PodStatus(ctx, p.UID)
	if c := st.Latest("app"); c.State != runtime.StateExited || c.ExitCode != 137 || c.Reason != runtime.ReasonError {
		t.Errorf("after Kill: %+v", c)
	}
}

func TestRemovePodCancelsTimers(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.StartDelay, cfg.StartJitter = 10*time.Millisecond, 0
	r, ctx := newSim(t, cfg), context.Background()
	var mu sync.Mutex
	var calls int
	r.Notify(func(string) { mu.Lock(); calls++; mu.Unlock() })
	p := testPod("p", nil)
	sb, _ := r.EnsureSandbox(ctx, p)
	if _, err := r.StartContainer(ctx, p, &p.Spec.Containers[0], nil, sb.ID, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.RemovePod(ctx, p.UID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // past the start delay
	mu.Lock()
	defer mu.Unlock()
	if calls != 0 {
		t.Errorf("a removed pod's container still transitioned (%d notifications)", calls)
	}
	if pods, _ := r.ListPods(ctx); len(pods) != 0 {
		t.Errorf("ListPods after RemovePod: %+v", pods)
	}
}

// BenchmarkNodes measures 1000 simulated nodes of 10 running pods each.
func BenchmarkNodes(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		nodes := make([]*sim.Runtime, 1000)
		for i := range nodes {
			cfg := sim.DefaultConfig()
			cfg.PodCIDR, cfg.StartDelay, cfg.StartJitter = sim.NodePodCIDR(i), 0, 0
			nodes[i] = newSim(b, cfg)
			for j := range 10 {
				p := testPod(fmt.Sprintf("n%d-p%d", i, j), nil)
				sb, err := nodes[i].EnsureSandbox(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := nodes[i].StartContainer(ctx, p, &p.Spec.Containers[0], nil, sb.ID, 0); err != nil {
					b.Fatal(err)
				}
			}
		}
		for _, n := range nodes {
			if pods, _ := n.ListPods(ctx); len(pods) != 10 {
				b.Fatalf("%d pods", len(pods))
			}
		}
	}
}

// TestRunToCompletion: containers of Never and OnFailure pods exit 0
// after completeAfter; exit-after "never" keeps them running; an Always
// pod's run until stopped; fail-attempts fails the first attempts;
// fail-ratio 1 fails every run with exit-code; exit-after takes a range.
func TestRunToCompletion(t *testing.T) {
	cfg := sim.DefaultConfig()
	cfg.StartDelay, cfg.StartJitter, cfg.CompleteAfter = 0, 0, 20*time.Millisecond
	r, ctx := newSim(t, cfg), context.Background()
	for _, tt := range []struct {
		name    string
		policy  api.RestartPolicy
		ann     map[string]string
		attempt int
		exits   bool
		code    int
	}{
		{"never policy", api.RestartPolicyNever, nil, 0, true, 0},
		{"onfailure policy", api.RestartPolicyOnFailure, nil, 0, true, 0},
		{"always policy", api.RestartPolicyAlways, nil, 0, false, 0},
		{"exit-after never", api.RestartPolicyNever, map[string]string{sim.AnnotationExitAfter: "never"}, 0, false, 0},
		{"range", api.RestartPolicyNever, map[string]string{sim.AnnotationExitAfter: "10ms-30ms"}, 0, true, 0},
		{"fail-attempts first", api.RestartPolicyOnFailure, map[string]string{sim.AnnotationFailAttempts: "2"}, 1, true, 1},
		{"fail-attempts later", api.RestartPolicyOnFailure, map[string]string{sim.AnnotationFailAttempts: "2"}, 2, true, 0},
		{"fail-ratio", api.RestartPolicyNever, map[string]string{sim.AnnotationFailRatio: "1", sim.AnnotationExitCode: "3", sim.AnnotationExitAfter: "10ms"}, 0, true, 3},
		{"fail-ratio none", api.RestartPolicyNever, map[string]string{sim.AnnotationFailRatio: "0", sim.AnnotationExitCode: "3", sim.AnnotationExitAfter: "10ms"}, 0, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := testPod(strings.ReplaceAll(tt.name, " ", "-"), tt.ann)
			p.Spec.RestartPolicy = tt.policy
			sb, _ := r.EnsureSandbox(ctx, p)
			if _, err := r.StartContainer(ctx, p, &p.Spec.Containers[0], nil, sb.ID, tt.attempt); err != nil {
				t.Fatal(err)
			}
			time.Sleep(150 * time.Millisecond)
			st, _ := r.PodStatus(ctx, p.UID)
			c := st.Latest("app")
			if exited := c.State == runtime.StateExited; exited != tt.exits || (exited && c.ExitCode != tt.code) {
				t.Errorf("state %s code %d, want exited %v with %d", c.State, c.ExitCode, tt.exits, tt.code)
			}
		})
	}
	for _, bad := range []map[string]string{
		{sim.AnnotationExitAfter: "3s-1s"}, {sim.AnnotationFailRatio: "2"}, {sim.AnnotationFailAttempts: "-1"},
	} {
		p := testPod("bad", bad)
		sb, _ := r.EnsureSandbox(ctx, p)
		if _, err := r.StartContainer(ctx, p, &p.Spec.Containers[0], nil, sb.ID, 0); !errors.Is(err, runtime.ErrCreateContainer) {
			t.Errorf("annotations %v: %v, want ErrCreateContainer", bad, err)
		}
	}
}
