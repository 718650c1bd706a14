package cronjob_test

import (
	"context"
	"fmt"
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
	"github.com/minik8s/minik8s/controllers/cronjob"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// clock is the controller's injected clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestCronJobWithClock runs the CronJob controller with an injected clock
// against an API server, driven by the real kubectl: runs at each minute,
// Forbid holding a run until the active Job finishes, Replace deleting
// it, the history limit, a missed starting deadline and suspend. The test
// plays the Job controller by writing the Jobs' Complete condition.
func TestCronJobWithClock(t *testing.T) {
	testsvc.Slow(t, "an API server and the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	c, err := client.FromKubeconfig(s.Kubeconfig, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	kubectl := func(args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, "", args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	jobs := informer.New(client.ListWatch(c.Jobs(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.Job]()...)
	cjs := informer.New(client.ListWatch(c.CronJobs(""), client.ListOptions{}), time.Minute, controllerutil.Indexers[*api.CronJob]()...)
	wg.Go(func() { _ = jobs.Run(ctx) })
	wg.Go(func() { _ = cjs.Run(ctx) })
	clk := &clock{}
	cc, err := cronjob.New(cronjob.Deps{Client: c, Jobs: jobs, CronJobs: cjs, Events: controllertest.StartEvents(ctx, c), Now: clk.Now}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}

	kubectl("create", "cronjob", "tick", "--image=busybox", "--schedule=* * * * *")
	kubectl("patch", "cronjob", "tick", "--type=merge", "-p", `{"spec":{"concurrencyPolicy":"Forbid","successfulJobsHistoryLimit":2}}`)
	cj, err := c.CronJobs("default").Get(ctx, "tick")
	if err != nil {
		t.Fatal(err)
	}
	// Minute m of the test is the m-th scheduled time after creation.
	base := cj.CreationTimestamp.Truncate(time.Minute)
	minute := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	name := func(m int) string { return fmt.Sprintf("tick-%d", minute(m).Unix()/60) }
	clk.Set(minute(1).Add(10 * time.Second))
	wg.Go(func() { _ = cc.Run(ctx, 1) })

	tick := 0
	// at moves the clock to after past minute m and pokes the CronJob
	// (a metadata change is an update event, so the controller looks).
	at := func(m int, after time.Duration) {
		clk.Set(minute(m).Add(after))
		tick++
		kubectl("annotate", "cronjob", "tick", fmt.Sprintf("test/tick=%d", tick), "--overwrite")
	}
	jobNames := func() []string {
		js, _, err := c.Jobs("default").List(ctx, client.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, j := range js {
			if j.DeletionTimestamp == nil {
				names = append(names, j.Name)
			}
		}
		slices.Sort(names)
		return names
	}
	waitJobs := func(what string, want ...string) {
		t.Helper()
		slices.Sort(want)
		controllertest.Eventually(t, 20*time.Second, what+fmt.Sprintf(" (jobs %v)", want), func() bool {
			return slices.Equal(jobNames(), want)
		})
	}
	status := func() api.CronJobStatus {
		cj, err := c.CronJobs("default").Get(ctx, "tick")
		if err != nil {
			t.Fatal(err)
		}
		return cj.Status
	}
	complete := func(m int) {
		t.Helper()
		j, err := c.Jobs("default").Get(ctx, name(m))
		if err != nil {
			t.Fatal(err)
		}
		now := api.NewTime(clk.Now())
		j.Status.StartTime, j.Status.CompletionTime, j.Status.Succeeded = &now, &now, 1
		j.Status.Conditions = []api.JobCondition{
			{Type: api.JobSuccessCriteriaMet, Status: api.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now},
			{Type: api.JobComplete, Status: api.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now},
		}
		if _, err := c.Jobs("default").UpdateStatus(ctx, j); err != nil {
			t.Fatal(err)
		}
		// The next step moves the clock: the controller must have seen
		// the Job finish, or Replace would rightly delete it.
		controllertest.Eventually(t, 20*time.Second, name(m)+" not active", func() bool {
			return !slices.ContainsFunc(status().Active, func(r api.ObjectReference) bool { return r.Name == name(m) })
		})
	}

	waitJobs("the run of minute 1", name(1))
	controllertest.Eventually(t, 20*time.Second, "active and lastScheduleTime", func() bool {
		st := status()
		return len(st.Active) == 1 && st.Active[0].Name == name(1) && st.LastScheduleTime != nil && st.LastScheduleTime.Equal(minute(1))
	})
	if ann := kubectl("get", "job", name(1), "-o", `jsonpath={.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}`); ann == "" {
		t.Error("the Job lacks the scheduled-timestamp annotation")
	}

	// Forbid: minute 2 does not run while minute 1's Job is active...
	at(2, 10*time.Second)
	controllertest.Eventually(t, 20*time.Second, "JobAlreadyActive event", func() bool {
		return strings.Contains(kubectl("get", "events", "--field-selector=involvedObject.name=tick"), "JobAlreadyActive")
	})
	if got := jobNames(); !slices.Equal(got, []string{name(1)}) {
		t.Fatalf("Forbid started another Job: %v", got)
	}
	// ... and runs once it has finished.
	complete(1)
	waitJobs("minute 2 after minute 1 finished", name(1), name(2))
	controllertest.Eventually(t, 20*time.Second, "lastSuccessfulTime", func() bool {
		st := status()
		return st.LastSuccessfulTime != nil && len(st.Active) == 1 && st.Active[0].Name == name(2)
	})

	// Replace: minute 3 deletes minute 2's active Job.
	kubectl("patch", "cronjob", "tick", "--type=merge", "-p", `{"spec":{"concurrencyPolicy":"Replace"}}`)
	at(3, 10*time.Second)
	waitJobs("minute 3 replacing minute 2", name(1), name(3))

	// History: two successful Jobs are kept, the oldest goes.
	complete(3)
	at(4, 10*time.Second)
	waitJobs("minute 4", name(1), name(3), name(4))
	complete(4)
	waitJobs("history limit 2", name(3), name(4))

	// A scheduled time older than startingDeadlineSeconds is skipped;
	// one within it runs.
	kubectl("patch", "cronjob", "tick", "--type=merge", "-p", `{"spec":{"startingDeadlineSeconds":5}}`)
	at(5, 10*time.Second)
	at(6, 2*time.Second)
	waitJobs("minute 6 within the deadline, minute 5 skipped", name(3), name(4), name(6))
	complete(6)
	waitJobs("history limit 2", name(4), name(6))

	// Suspended: no run.
	kubectl("patch", "cronjob", "tick", "--type=merge", "-p", `{"spec":{"suspend":true,"startingDeadlineSeconds":null}}`)
	at(7, 10*time.Second)
	clk.Set(minute(8).Add(10 * time.Second))
	kubectl("patch", "cronjob", "tick", "--type=merge", "-p", `{"spec":{"suspend":false}}`)
	// Resumed at minute 8: minutes 7 and 8 are unmet; only the latest runs.
	waitJobs("minute 8 after resume", name(4), name(6), name(8))
	controllertest.Eventually(t, 20*time.Second, "lastScheduleTime of minute 8", func() bool {
		got := status().LastScheduleTime
		return got != nil && got.Equal(minute(8))
	})
}
