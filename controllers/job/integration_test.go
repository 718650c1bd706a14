package job_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/controllers/controllerutil/controllertest"
	"github.com/minik8s/minik8s/controllers/job"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// crashWriter passes calls to a real writer until the crash point, then
// fails every write: a controller manager that died there.
type crashWriter struct {
	job.Writer
	mu      sync.Mutex
	crashed bool
	// at reports whether a call is the crash point.
	atPatch  func(pt client.PatchType) bool
	atStatus func(j *api.Job) bool
}

var errCrashed = errors.New("controller manager crashed")

func (w *crashWriter) crash(at bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if at {
		w.crashed = true
	}
	if w.crashed {
		return errCrashed
	}
	return nil
}

func (w *crashWriter) PatchPod(ctx context.Context, ns, name string, pt client.PatchType, p []byte) error {
	if err := w.crash(w.atPatch != nil && w.atPatch(pt)); err != nil {
		return err
	}
	return w.Writer.PatchPod(ctx, ns, name, pt, p)
}

func (w *crashWriter) UpdateJobStatus(ctx context.Context, j *api.Job) (*api.Job, error) {
	if err := w.crash(w.atStatus != nil && w.atStatus(j)); err != nil {
		return nil, err
	}
	return w.Writer.UpdateJobStatus(ctx, j)
}

func (w *crashWriter) CreatePod(ctx context.Context, p *api.Pod) (*api.Pod, error) {
	if err := w.crash(false); err != nil {
		return nil, err
	}
	return w.Writer.CreatePod(ctx, p)
}

const restartJob = `apiVersion: batch/v1
kind: Job
metadata: {name: count}
spec:
  completions: 4
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`

// TestRestartNeverCountsTwice runs a Job against an API server, stops the
// controller at each point of the finalizer-tracked accounting (after the
// uncounted pods are written, after their finalizers are removed), and
// lets a fresh controller with fresh informers finish the Job: it must
// count exactly the pods that succeeded, and complete.
func TestRestartNeverCountsTwice(t *testing.T) {
	testsvc.Slow(t, "an API server and the real kubectl")
	for _, tt := range []struct {
		name string
		w    func(job.Writer) *crashWriter
	}{
		{"before finalizer removal", func(w job.Writer) *crashWriter {
			return &crashWriter{Writer: w, atPatch: func(pt client.PatchType) bool { return pt == client.JSONPatchType }}
		}},
		{"before counting", func(w job.Writer) *crashWriter {
			return &crashWriter{Writer: w, atStatus: func(j *api.Job) bool { return j.Status.Succeeded > 0 }}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := testenv.StartAPIServer(t, testenv.Options{})
			c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
			if err != nil {
				t.Fatal(err)
			}
			if out, err := s.Kubectl(t, restartJob, "create", "-f", "-"); err != nil {
				t.Fatalf("kubectl create: %v\n%s", err, out)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			events := controllertest.StartEvents(ctx, c)

			// start runs a controller manager's Job controller with its own
			// informers until the returned stop is called.
			start := func(wrap func(job.Writer) *crashWriter) (stop func()) {
				cctx, ccancel := context.WithCancel(ctx)
				var wg sync.WaitGroup
				pods := informer.New(client.ListWatch(c.Pods(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.Pod]()...)
				jobs := informer.New(client.ListWatch(c.Jobs(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.Job]()...)
				wg.Go(func() { _ = pods.Run(cctx) })
				wg.Go(func() { _ = jobs.Run(cctx) })
				jc, err := job.New(job.DefaultConfig(), job.Deps{Client: c, Pods: pods, Jobs: jobs, Events: events}, zerolog.Nop())
				if err != nil {
					t.Fatal(err)
				}
				if wrap != nil {
					job.WrapWriter(jc, func(w job.Writer) job.Writer { return wrap(w) })
				}
				wg.Go(func() { _ = jc.Run(cctx, 2) })
				return func() { ccancel(); wg.Wait() }
			}
			getJob := func() *api.Job {
				j, err := c.Jobs("default").Get(ctx, "count")
				if err != nil {
					t.Fatal(err)
				}
				return j
			}
			// succeed marks the Job's running pods Succeeded, as a kubelet would.
			succeed := func(want int) {
				t.Helper()
				var pods []*api.Pod
				controllertest.Eventually(t, 20*time.Second, "active pods", func() bool {
					all, _, err := c.Pods("default").List(ctx, client.ListOptions{})
					if err != nil {
						t.Fatal(err)
					}
					pods = slices.DeleteFunc(all, func(p *api.Pod) bool { return api.IsPodTerminal(p) })
					return len(pods) == want
				})
				for _, p := range pods {
					if !slices.Contains(p.Finalizers, api.JobTrackingFinalizer) {
						t.Fatalf("pod %s lacks the tracking finalizer: %v", p.Name, p.Finalizers)
					}
					p.Status.Phase = api.PodSucceeded
					if _, err := c.Pods("default").UpdateStatus(ctx, p); err != nil {
						t.Fatal(err)
					}
				}
			}

			crashing := start(tt.w)
			succeed(2)
			// The first controller records pods as uncounted (one or both) and
			// stops at its crash point.
			controllertest.Eventually(t, 20*time.Second, "uncounted pods in the status", func() bool {
				u := getJob().Status.UncountedTerminatedPods
				return u != nil && len(u.Succeeded) > 0
			})
			crashing()

			stop := start(nil)
			defer stop()
			succeed(2)
			controllertest.Eventually(t, 20*time.Second, "Complete", func() bool { return job.FinishedCondition(getJob()) != nil })
			st := getJob().Status
			if u := st.UncountedTerminatedPods; st.Succeeded != 4 || st.Failed != 0 || (u != nil && len(u.Succeeded)+len(u.Failed) > 0) {
				t.Fatalf("succeeded %d failed %d uncounted %+v; want 4, 0, none", st.Succeeded, st.Failed, st.UncountedTerminatedPods)
			}
			if c := job.FinishedCondition(getJob()); c.Type != api.JobComplete || c.Reason != job.ReasonCompletionsReached {
				t.Fatalf("finished with %+v", c)
			}
			all, _, err := c.Pods("default").List(ctx, client.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range all {
				names = append(names, p.Name+"="+strings.Join(p.Finalizers, ",")+"/"+string(p.Status.Phase)+"/"+p.CreationTimestamp.Format("05.000"))
				if slices.Contains(p.Finalizers, api.JobTrackingFinalizer) {
					t.Errorf("pod %s keeps the tracking finalizer", p.Name)
				}
			}
			// A sync from a Job cache older than the controller's last status
			// write once created pods again (see Controller.stale).
			if len(all) != 4 {
				t.Errorf("%d pods, want 4: %v", len(all), names)
			}
		})
	}
}
