package cronjob

import (
	"context"
	"testing"
	"time"

	"github.com/minik8s/minik8s/api"
)

func TestMostRecent(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 34, 56, 0, time.UTC)
	tests := []struct {
		name       string
		schedule   string
		tz         string
		earliest   time.Time
		want       time.Time
		wantMissed int
	}{
		{"none due", "@hourly", "", now.Add(-time.Minute), time.Time{}, 0},
		{"one due", "@hourly", "", now.Add(-time.Hour), time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC), 1},
		{"three due", "*/10 * * * *", "", now.Add(-35 * time.Minute), time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC), 4}, // 12:00, 12:10, 12:20, 12:30
		{"a year missed", "* * * * *", "", now.AddDate(-1, 0, 0), time.Date(2026, 3, 10, 12, 34, 0, 0, time.UTC), tooManyMissed + 1},
		{"daily many missed", "@daily", "", now.AddDate(-1, 0, 0), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), tooManyMissed + 1},
		{"time zone", "0 9 * * *", "Asia/Tokyo", now.Add(-24 * time.Hour), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cj := &api.CronJob{Spec: api.CronJobSpec{Schedule: tt.schedule}}
			if tt.tz != "" {
				cj.Spec.TimeZone = &tt.tz
			}
			sched, err := parse(cj)
			if err != nil {
				t.Fatal(err)
			}
			got, missed := mostRecent(sched, tt.earliest, now)
			if !got.Equal(tt.want) || missed != tt.wantMissed {
				t.Fatalf("mostRecent = %s, %d; want %s, %d", got, missed, tt.want, tt.wantMissed)
			}
		})
	}
}

func TestJobFromTemplate(t *testing.T) {
	tz := "Europe/Paris"
	cj := &api.CronJob{ObjectMeta: api.ObjectMeta{Name: "hourly", Namespace: "ns", UID: "u"},
		Spec: api.CronJobSpec{TimeZone: &tz, JobTemplate: api.JobTemplateSpec{ObjectMeta: api.ObjectMeta{Labels: map[string]string{"a": "b"}}}}}
	at := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	j := jobFromTemplate(cj, at, jobName(cj, at))
	if j.Name != "hourly-29455380" || j.Labels["a"] != "b" || api.GetControllerOf(&j.ObjectMeta).UID != "u" {
		t.Fatalf("job %+v", j.ObjectMeta)
	}
	if got := j.Annotations[api.CronJobScheduledTimestampAnnotation]; got != "2026-01-02T04:00:00+01:00" {
		t.Fatalf("scheduled timestamp %q", got)
	}
}

// TestRunAfterLostStatusWrite: the Job of the latest scheduled time exists
// but the status write of the sync that created it was lost; the next sync
// records that time as the last schedule time and creates nothing.
func TestRunAfterLostStatusWrite(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 1, 30, 0, time.UTC)
	created := api.NewTime(now.Add(-5 * time.Minute))
	cj := &api.CronJob{ObjectMeta: api.ObjectMeta{Name: "tick", Namespace: "ns", UID: "u", CreationTimestamp: created},
		Spec: api.CronJobSpec{Schedule: "* * * * *"}}
	scheduled := time.Date(2026, 3, 10, 12, 1, 0, 0, time.UTC)
	job := jobFromTemplate(cj, scheduled, jobName(cj, scheduled))
	c := &Controller{now: func() time.Time { return now }} // no writer: a create would panic
	st := api.DeepCopy(&cj.Status)
	if _, err := c.run(context.Background(), cj, st, []*api.Job{job}); err != nil {
		t.Fatal(err)
	}
	if st.LastScheduleTime == nil || !st.LastScheduleTime.Equal(scheduled) {
		t.Fatalf("lastScheduleTime = %v, want %s", st.LastScheduleTime, scheduled)
	}
}
