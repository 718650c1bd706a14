package job

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/informer/informertest"
)

// fakeWriter records the controller's writes in order.
type fakeWriter struct {
	mu       sync.Mutex
	calls    []string
	statuses []api.JobStatus
}

func (f *fakeWriter) record(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }

func (f *fakeWriter) CreatePod(_ context.Context, p *api.Pod) (*api.Pod, error) {
	f.record("create " + p.GenerateName)
	out := api.DeepCopy(p)
	out.Name = p.GenerateName + "x"
	return out, nil
}

func (f *fakeWriter) DeletePod(_ context.Context, _, name, _ string) error {
	f.record("delete " + name)
	return nil
}

func (f *fakeWriter) PatchPod(_ context.Context, _, name string, pt client.PatchType, _ []byte) error {
	f.record(fmt.Sprintf("patch %s %s", name, pt))
	return nil
}

func (f *fakeWriter) GetJob(context.Context, string, string) (*api.Job, error) { return nil, nil }

func (f *fakeWriter) UpdateJobStatus(_ context.Context, j *api.Job) (*api.Job, error) {
	f.record("status")
	f.mu.Lock()
	f.statuses = append(f.statuses, *api.DeepCopy(&j.Status))
	f.mu.Unlock()
	return api.DeepCopy(j), nil
}

func (f *fakeWriter) DeleteJob(context.Context, string, string, string) error {
	f.record("delete job")
	return nil
}

type nopRecorder struct{}

func (nopRecorder) Eventf(api.ObjectReference, string, string, string, ...any) {}

func int32p(n int32) *int32 { return &n }

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func newJob() *api.Job {
	return &api.Job{
		ObjectMeta: api.ObjectMeta{Namespace: "default", Name: "pi", UID: "job-uid"},
		Spec: api.JobSpec{
			Completions: int32p(2), Parallelism: int32p(1), BackoffLimit: int32p(1),
			Selector: &api.LabelSelector{MatchLabels: map[string]string{api.JobControllerUIDLabel: "job-uid"}},
			Template: api.PodTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{api.JobControllerUIDLabel: "job-uid"}}},
		},
	}
}

func jobPod(job *api.Job, name string, phase api.PodPhase) *api.Pod {
	p := podFromTemplate(job, -1)
	p.Name, p.UID, p.Status.Phase = name, "uid-"+name, phase
	return p
}

// syncOnce runs one sync of job with pods in the caches.
func syncOnce(t *testing.T, job *api.Job, pods ...*api.Pod) (*fakeWriter, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, w := newSyncController(ctx, t, job, pods...)
	after, err := c.sync(ctx, informer.KeyOf(job))
	if err != nil {
		t.Fatal(err)
	}
	return w, after
}

// newSyncController is a controller whose caches hold job and pods (and
// never change) and whose writes go to the returned fakeWriter.
func newSyncController(ctx context.Context, t *testing.T, job *api.Job, pods ...*api.Pod) (*Controller, *fakeWriter) {
	t.Helper()
	podInf := informer.New[*api.Pod](informertest.Static[*api.Pod]{Items: pods}, 0, controllerutil.Indexers[*api.Pod]()...)
	jobInf := informer.New[*api.Job](informertest.Static[*api.Job]{Items: []*api.Job{job}}, 0, controllerutil.Indexers[*api.Job]()...)
	go podInf.Run(ctx)
	go jobInf.Run(ctx)
	if !informer.WaitForCacheSync(ctx, podInf.HasSynced, jobInf.HasSynced) {
		t.Fatal("no sync")
	}
	c, err := New(DefaultConfig(), Deps{Client: &client.Client{}, Pods: podInf, Jobs: jobInf, Events: nopRecorder{}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	w := &fakeWriter{}
	c.w, c.now = w, func() time.Time { return now }
	return c, w
}

// rvWriter gives each status write a new resourceVersion, as the API
// server does.
type rvWriter struct {
	*fakeWriter
	rv int
}

func (w *rvWriter) UpdateJobStatus(ctx context.Context, j *api.Job) (*api.Job, error) {
	out, err := w.fakeWriter.UpdateJobStatus(ctx, j)
	w.rv++
	out.ResourceVersion = strconv.Itoa(w.rv)
	return out, err
}

// TestStaleJobCache: a sync that reads the Job from before the last
// status write (the informer has not delivered it yet) while the pods
// it counted have lost their finalizer does nothing; it once saw too few
// completions and created pods again.
func TestStaleJobCache(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job := newJob()
	job.ResourceVersion = "5"
	job.Spec.Completions = int32p(1)
	c, fw := newSyncController(ctx, t, job, jobPod(job, "a", api.PodSucceeded))
	c.w = &rvWriter{fakeWriter: fw, rv: 5}
	if _, err := c.sync(ctx, informer.KeyOf(job)); err != nil {
		t.Fatal(err)
	}
	if last := fw.statuses[len(fw.statuses)-1]; last.Succeeded != 1 || !hasTrue(&last, api.JobComplete) {
		t.Fatalf("first sync: status %+v, want 1 succeeded, Complete", last)
	}
	n := len(fw.calls)
	// The caches still hold the Job at resourceVersion 5.
	if _, err := c.sync(ctx, informer.KeyOf(job)); err != nil {
		t.Fatal(err)
	}
	if calls := fw.calls[n:]; len(calls) > 0 {
		t.Fatalf("sync from a stale Job wrote: %v", calls)
	}
}

// TestCountingOrder: a finished pod is written as uncounted, then loses
// its finalizer, then is counted; never counted before its uid is in the
// status.
func TestCountingOrder(t *testing.T) {
	job := newJob()
	w, _ := syncOnce(t, job, jobPod(job, "a", api.PodSucceeded))
	if got := strings.Join(w.calls, "; "); got != "status; patch a application/json-patch+json; create pi-; status" &&
		got != "create pi-; status; patch a application/json-patch+json; status" {
		t.Fatalf("calls: %s", got)
	}
	first, last := w.statuses[0], w.statuses[len(w.statuses)-1]
	if first.Succeeded != 0 || len(first.UncountedTerminatedPods.Succeeded) != 1 {
		t.Fatalf("first status write %+v, want the pod uncounted", first)
	}
	if last.Succeeded != 1 || len(last.UncountedTerminatedPods.Succeeded) != 0 || last.Active != 1 {
		t.Fatalf("last status write %+v, want 1 succeeded, 1 active", last)
	}
}

// TestUncountedFromStatus: a pod already in the uncounted list (a
// controller died after writing it) is counted once, whether or not it
// still has its finalizer.
func TestUncountedFromStatus(t *testing.T) {
	for _, keep := range []bool{true, false} {
		job := newJob()
		job.Status.UncountedTerminatedPods = &api.UncountedTerminatedPods{Succeeded: []string{"uid-a"}}
		p := jobPod(job, "a", api.PodSucceeded)
		if !keep {
			p.Finalizers = nil
		}
		w, _ := syncOnce(t, job, p)
		last := w.statuses[len(w.statuses)-1]
		if last.Succeeded != 1 {
			t.Fatalf("finalizer kept %v: succeeded %d, want 1", keep, last.Succeeded)
		}
	}
}

// TestBackoffLimit: failures beyond backoffLimit add FailureTarget, the
// active pods are deleted without losing their finalizer first (they are
// failures too), and Failed waits until none is left.
func TestBackoffLimit(t *testing.T) {
	job := newJob()
	job.Status.Failed = 1
	w, _ := syncOnce(t, job, jobPod(job, "a", api.PodFailed), jobPod(job, "b", api.PodRunning))
	calls := strings.Join(w.calls, "; ")
	if strings.Contains(calls, "patch b") || !strings.Contains(calls, "delete b") || strings.Contains(calls, "create") {
		t.Fatalf("calls: %s", calls)
	}
	last := w.statuses[len(w.statuses)-1]
	if !hasTrue(&last, api.JobFailureTarget) || hasTrue(&last, api.JobFailed) || last.Failed != 2 {
		t.Fatalf("status %+v", last)
	}
	if c := getCondition(&last, api.JobFailureTarget); c.Reason != reasonBackoffLimitExceeded || c.Message != msgBackoffLimitExceeded {
		t.Fatalf("condition %+v", c)
	}
	// Next sync, nothing running: Failed.
	job.Status = last
	w, _ = syncOnce(t, job, jobPod(job, "c", api.PodFailed))
	if last := w.statuses[len(w.statuses)-1]; !hasTrue(&last, api.JobFailed) || last.CompletionTime != nil {
		t.Fatalf("status %+v, want Failed without completionTime", last)
	}
}

// TestDeadline: a Job running past activeDeadlineSeconds fails with
// DeadlineExceeded; before it, the sync asks to look again at it.
func TestDeadline(t *testing.T) {
	job := newJob()
	job.Spec.ActiveDeadlineSeconds = new(int64)
	*job.Spec.ActiveDeadlineSeconds = 60
	start := api.NewTime(now.Add(-30 * time.Second))
	job.Status.StartTime = &start
	_, after := syncOnce(t, job, jobPod(job, "a", api.PodRunning))
	if after != 30*time.Second {
		t.Fatalf("after %s, want 30s", after)
	}
	start = api.NewTime(now.Add(-61 * time.Second))
	w, _ := syncOnce(t, job, jobPod(job, "a", api.PodRunning))
	if c := getCondition(&w.statuses[0], api.JobFailureTarget); c == nil || c.Reason != reasonDeadlineExceeded {
		t.Fatalf("status %+v", w.statuses[0])
	}
}

func TestPodBackoff(t *testing.T) {
	c := &Controller{cfg: DefaultConfig(), backoff: map[string]backoffRecord{}}
	for failures, want := range map[int]time.Duration{0: 0, 1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 6: 320 * time.Second, 7: 6 * time.Minute, 30: 6 * time.Minute} {
		c.backoff["k"] = backoffRecord{failures: failures, lastFailure: now}
		if got := c.backoffLeft("k", now); got != want {
			t.Errorf("%d failures: back-off %s, want %s", failures, got, want)
		}
	}
}

func TestIndexes(t *testing.T) {
	set := parseIndexes("0-2,5,7-8,12", 10)
	if got := formatIndexes(set); got != "0-2,5,7-8" {
		t.Fatalf("round trip: %q", got)
	}
	job := newJob()
	mode := api.IndexedCompletion
	job.Spec.CompletionMode, job.Spec.Completions, job.Spec.Parallelism = &mode, int32p(3), int32p(3)
	job.Status.CompletedIndexes = "1"
	w, _ := syncOnce(t, job)
	if got := strings.Join(w.calls, "; "); strings.Count(got, "create pi-0-") != 1 || strings.Count(got, "create pi-2-") != 1 || strings.Contains(got, "pi-1-") {
		t.Fatalf("calls: %s", got)
	}
	p := podFromTemplate(job, 2)
	if p.Annotations[api.JobCompletionIndexAnnotation] != "2" || p.Labels[api.JobCompletionIndexAnnotation] != "2" || p.Spec.Hostname != "pi-2" {
		t.Fatalf("pod %+v", p.ObjectMeta)
	}
}

// TestPodFailurePolicy: FailJob on an exit code fails the Job at once;
// Ignore on a condition releases the pod without counting it.
func TestPodFailurePolicy(t *testing.T) {
	failed := func(job *api.Job, name string, code int32, cond api.PodConditionType) *api.Pod {
		p := jobPod(job, name, api.PodFailed)
		p.Status.ContainerStatuses = []api.ContainerStatus{{Name: "main", State: api.ContainerState{Terminated: &api.ContainerStateTerminated{ExitCode: code}}}}
		if cond != "" {
			p.Status.Conditions = []api.PodCondition{{Type: cond, Status: api.ConditionTrue}}
		}
		return p
	}
	job := newJob()
	job.Spec.BackoffLimit = int32p(6)
	job.Spec.PodFailurePolicy = &api.PodFailurePolicy{Rules: []api.PodFailurePolicyRule{
		{Action: actionIgnore, OnPodConditions: []api.PodFailurePolicyOnPodConditionsPattern{{Type: api.DisruptionTarget, Status: api.ConditionTrue}}},
		{Action: actionFailJob, OnExitCodes: &api.PodFailurePolicyOnExitCodesRequirement{Operator: "In", Values: []int32{42}}},
	}}

	w, _ := syncOnce(t, job, failed(job, "evicted", 137, api.DisruptionTarget), failed(job, "other", 1, ""))
	last := w.statuses[len(w.statuses)-1]
	if last.Failed != 1 || hasTrue(&last, api.JobFailureTarget) || !strings.Contains(strings.Join(w.calls, ";"), "patch evicted") {
		t.Fatalf("ignore: status %+v, calls %v", last, w.calls)
	}

	w, _ = syncOnce(t, job, failed(job, "bad", 42, ""))
	last = w.statuses[len(w.statuses)-1]
	c := getCondition(&last, api.JobFailed)
	if c == nil || c.Reason != reasonPodFailurePolicy ||
		c.Message != "Container main for pod default/bad failed with exit code 42 matching FailJob rule at index 1" {
		t.Fatalf("FailJob: status %+v", last)
	}
}
