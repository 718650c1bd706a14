package kubelet

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/kubelet/runtime"
)

func running() api.ContainerStatus {
	return api.ContainerStatus{State: api.ContainerState{Running: &api.ContainerStateRunning{}}}
}

func exited(code int32) api.ContainerStatus {
	return api.ContainerStatus{State: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code}}}
}

func waiting() api.ContainerStatus {
	return api.ContainerStatus{State: api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: ReasonContainerCreating}}}
}

func backingOff(code int32) api.ContainerStatus {
	return api.ContainerStatus{
		State:                api.ContainerState{Waiting: &api.ContainerStateWaiting{Reason: ReasonCrashLoopBackOff}},
		LastTerminationState: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code}},
	}
}

func TestPodPhase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		policy   api.RestartPolicy
		init     []api.ContainerStatus
		statuses []api.ContainerStatus
		old      api.PodPhase
		want     api.PodPhase
	}{
		{"creating", api.RestartPolicyAlways, nil, []api.ContainerStatus{waiting()}, "", api.PodPending},
		{"one running one creating", api.RestartPolicyAlways, nil, []api.ContainerStatus{running(), waiting()}, "", api.PodPending},
		{"all running", api.RestartPolicyAlways, nil, []api.ContainerStatus{running(), running()}, api.PodPending, api.PodRunning},
		{"crash looping, Always", api.RestartPolicyAlways, nil, []api.ContainerStatus{backingOff(1)}, api.PodRunning, api.PodRunning},
		{"exited 0, Always", api.RestartPolicyAlways, nil, []api.ContainerStatus{exited(0)}, api.PodRunning, api.PodRunning},
		{"exited 0, Never", api.RestartPolicyNever, nil, []api.ContainerStatus{exited(0)}, api.PodRunning, api.PodSucceeded},
		{"exited 3, Never", api.RestartPolicyNever, nil, []api.ContainerStatus{exited(3)}, api.PodRunning, api.PodFailed},
		{"one of two failed, Never, other runs", api.RestartPolicyNever, nil, []api.ContainerStatus{exited(3), running()}, api.PodRunning, api.PodRunning},
		{"exited 0, OnFailure", api.RestartPolicyOnFailure, nil, []api.ContainerStatus{exited(0)}, api.PodRunning, api.PodSucceeded},
		{"failed, OnFailure restarts", api.RestartPolicyOnFailure, nil, []api.ContainerStatus{backingOff(2)}, api.PodRunning, api.PodRunning},
		{"init running", api.RestartPolicyAlways, []api.ContainerStatus{running()}, []api.ContainerStatus{waiting()}, "", api.PodPending},
		{"init failed, Never", api.RestartPolicyNever, []api.ContainerStatus{exited(1)}, []api.ContainerStatus{waiting()}, "", api.PodFailed},
		{"init failed, Always retries", api.RestartPolicyAlways, []api.ContainerStatus{backingOff(1)}, []api.ContainerStatus{waiting()}, "", api.PodPending},
		{"init done", api.RestartPolicyAlways, []api.ContainerStatus{exited(0)}, []api.ContainerStatus{running()}, api.PodPending, api.PodRunning},
		{"terminal stays", api.RestartPolicyNever, nil, []api.ContainerStatus{running()}, api.PodFailed, api.PodFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := &api.PodSpec{RestartPolicy: tc.policy}
			if got := podPhase(spec, tc.init, tc.statuses, tc.old); got != tc.want {
				t.Fatalf("podPhase = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestShouldRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy api.RestartPolicy
		code   int
		want   bool
	}{
		{api.RestartPolicyAlways, 0, true},
		{api.RestartPolicyAlways, 1, true},
		{api.RestartPolicyOnFailure, 0, false},
		{api.RestartPolicyOnFailure, 137, true},
		{api.RestartPolicyNever, 0, false},
		{api.RestartPolicyNever, 1, false},
	} {
		if got := shouldRestart(tc.policy, tc.code); got != tc.want {
			t.Errorf("shouldRestart(%s, %d) = %v, want %v", tc.policy, tc.code, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_000_000, 0)
	b := &backoff{initial: 10 * time.Second, max: 40 * time.Second}
	if r := b.remaining(t0, t0); r != 0 {
		t.Fatalf("first restart waits %s, want 0", r)
	}
	var never *backoff // a container that never failed has none
	if r := never.remaining(t0, t0); r != 0 {
		t.Fatalf("a container that never failed waits %s, want 0", r)
	}
	// Each restart raises the wait after the next failure: 10s, 20s, 40s, 40s.
	now := t0
	for _, want := range []time.Duration{10, 20, 40, 40} {
		b.next(now)
		crash := now.Add(time.Second)
		if r := b.remaining(crash, crash); r != want*time.Second {
			t.Fatalf("wait after a crash = %s, want %s", r, want*time.Second)
		}
		if r := b.remaining(crash, crash.Add(want*time.Second)); r != 0 {
			t.Fatalf("wait once the back-off passed = %s, want 0", r)
		}
		now = crash.Add(want * time.Second)
	}
	// Running without trouble for 2·max starts over.
	later := now.Add(81 * time.Second)
	if r := b.remaining(later, later); r != 0 {
		t.Fatalf("wait after a long healthy run = %s, want 0", r)
	}
	b.next(later)
	if b.delay != 10*time.Second {
		t.Fatalf("delay after reset = %s, want 10s", b.delay)
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"A": "1", "B": "two"}
	for in, want := range map[string]string{
		"plain":         "plain",
		"$(A)":          "1",
		"x$(A)y$(B)z":   "x1ytwoz",
		"$(C)":          "$(C)",
		"$$(A)":         "$(A)",
		"$$":            "$",
		"cost $5":       "cost $5",
		"open $(A":      "open $(A",
		"end $":         "end $",
		"$(A)$(A)$(B)$": "11two$",
	} {
		lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
		if got := expand(in, lookup); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuildStatus(t *testing.T) {
	t.Parallel()
	now := time.Unix(2_000_000, 0)
	started := now.Add(-time.Minute)
	pod := &api.Pod{
		ObjectMeta: api.ObjectMeta{Name: "p", Namespace: "default", UID: "u"},
		Spec: api.PodSpec{RestartPolicy: api.RestartPolicyAlways, Containers: []api.Container{
			{Name: "a", Image: "img:1"}, {Name: "b", Image: "img:2"},
		}},
	}
	rs := &runtime.PodStatus{UID: "u", SandboxReady: true, IP: "10.1.0.5", Containers: []runtime.ContainerStatus{
		{ID: "sim://2", Name: "a", Attempt: 1, State: runtime.StateRunning, StartedAt: started, Image: "img:1", ImageID: "sim://sha256:1"},
		{ID: "sim://1", Name: "a", Attempt: 0, State: runtime.StateExited, ExitCode: 137, StartedAt: started.Add(-time.Minute), FinishedAt: started},
		{ID: "sim://3", Name: "b", Attempt: 0, State: runtime.StateExited, ExitCode: 1, FinishedAt: now},
	}}
	old := &api.PodStatus{Conditions: []api.PodCondition{{Type: api.PodScheduled, Status: api.ConditionTrue, LastTransitionTime: api.NewTime(started)}}}
	st := buildStatus(statusInput{
		pod: pod, old: old, rs: rs, hostIP: "127.0.0.1", now: now,
		waiting: map[string]*api.ContainerStateWaiting{"b": {Reason: ReasonCrashLoopBackOff}},
	})
	if st.Phase != api.PodRunning || st.PodIP != "10.1.0.5" || st.HostIP != "127.0.0.1" || st.StartTime == nil {
		t.Fatalf("phase %s podIP %q hostIP %q startTime %v", st.Phase, st.PodIP, st.HostIP, st.StartTime)
	}
	a, b := st.ContainerStatuses[0], st.ContainerStatuses[1]
	if a.State.Running == nil || !a.Ready || a.RestartCount != 1 || a.ContainerID != "sim://2" || a.ImageID != "sim://sha256:1" ||
		a.LastTerminationState.Terminated == nil || a.LastTerminationState.Terminated.ExitCode != 137 || a.Started == nil || !*a.Started {
		t.Errorf("container a: %+v", a)
	}
	if b.State.Waiting == nil || b.State.Waiting.Reason != ReasonCrashLoopBackOff || b.Ready ||
		b.LastTerminationState.Terminated == nil || b.LastTerminationState.Terminated.Reason != runtime.ReasonError {
		t.Errorf("container b: %+v", b)
	}
	ready := api.GetPodCondition(&st, api.PodReady)
	if ready == nil || ready.Status != api.ConditionFalse || ready.Message != "containers with unready status: [b]" {
		t.Errorf("Ready condition %+v", ready)
	}
	if c := api.GetPodCondition(&st, api.PodScheduled); c == nil || !c.LastTransitionTime.Equal(api.NewTime(started).Time) {
		t.Errorf("PodScheduled condition %+v lost its transition time", c)
	}
	if c := api.GetPodCondition(&st, api.PodInitialized); c == nil || c.Status != api.ConditionTrue {
		t.Errorf("Initialized condition %+v", c)
	}
}

// TestRootDirAbsolute: a relative rootDir (the default data dir is
// .minik8s) becomes absolute, as Docker's bind mounts of pod volumes need.
func TestRootDirAbsolute(t *testing.T) {
	t.Parallel()
	c := Config{RootDir: filepath.Join(".minik8s", "kubelet")}
	if err := c.absRootDir(); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if want := filepath.Join(wd, ".minik8s", "kubelet"); c.RootDir != want {
		t.Errorf("rootDir %q, want %q", c.RootDir, want)
	}
	empty := Config{}
	if err := empty.absRootDir(); err != nil || empty.RootDir != "" {
		t.Errorf("no rootDir became %q (%v)", empty.RootDir, err)
	}
}

// TestSetStatusHandsOverChanges: a status goes to the status manager when
// it differs from both what the API server has and what was handed over
// last, and not when it equals what still stands.
func TestSetStatusHandsOverChanges(t *testing.T) {
	t.Parallel()
	k := &Kubelet{status: newStatusManager(nil, nil, zerolog.Nop())}
	w := &podWorker{uid: "u", node: &node{}}
	pending := func() bool {
		k.status.mu.Lock()
		defer k.status.mu.Unlock()
		_, ok := k.status.pending["u"]
		clear(k.status.pending)
		return ok
	}
	at := api.NewTime(time.Unix(1_000_000, 0))
	pendingSt := api.PodStatus{Phase: api.PodPending, StartTime: &at, ContainerStatuses: []api.ContainerStatus{waiting()}}
	runningSt := api.PodStatus{Phase: api.PodRunning, StartTime: &at, ContainerStatuses: []api.ContainerStatus{running()}}
	steps := []struct {
		what   string
		rv     string
		server api.PodStatus
		st     api.PodStatus
		handed bool
		// the server's status is the one kept as handed over
		serversKept bool
	}{
		{"new status", "1", api.PodStatus{}, pendingSt, true, false},
		{"the same again, server unchanged", "1", api.PodStatus{}, pendingSt, false, false},
		{"the server wrote it", "2", pendingSt, pendingSt, false, true},
		{"a change", "2", pendingSt, runningSt, true, false},
		{"the same again", "2", pendingSt, runningSt, false, false},
		{"someone else changed the server's", "3", api.PodStatus{Phase: api.PodFailed}, runningSt, true, false},
		{"the server has it", "4", runningSt, runningSt, false, true},
		{"and still has it", "4", runningSt, runningSt, false, true},
	}
	for _, s := range steps {
		// A new object each time, as the informer's cache hands out.
		pod := &api.Pod{ObjectMeta: api.ObjectMeta{ResourceVersion: s.rv}, Status: s.server}
		if s.what == "and still has it" {
			pod = w.pod
		}
		w.pod = pod
		server := &serverStatus{pod: pod}
		st := s.st
		st.ContainerStatuses = append([]api.ContainerStatus(nil), s.st.ContainerStatuses...) // a fresh copy, as buildStatus makes
		k.setStatus(w, server, st)
		if got := pending(); got != s.handed {
			t.Fatalf("%s: handed over %v, want %v", s.what, got, s.handed)
		}
		if w.oldStatus(&serverStatus{pod: pod}) != w.last {
			t.Fatalf("%s: new times do not carry over from the status handed over", s.what)
		}
		if kept := w.last == &pod.Status; kept != s.serversKept {
			t.Fatalf("%s: the server's status kept as handed over: %v, want %v", s.what, kept, s.serversKept)
		}
	}
}
