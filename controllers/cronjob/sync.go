package cronjob

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// tooManyMissed is the count of missed start times above which the
// controller warns, as Kubernetes.
const tooManyMissed = 100

// nextDelay is added to the wait for the next scheduled time, so that the
// sync runs after it rather than just before (Kubernetes' nextScheduleDelta).
const nextDelay = 100 * time.Millisecond

// sync reconciles one CronJob from the caches; see the package doc.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	cached, ok := c.cjs.Get(key)
	if !ok {
		return 0, nil
	}
	cj := api.DeepCopy(cached)
	ref := controllerutil.Ref(apiVersion, kind, cj)
	jobs := c.jobs.ByIndex(controllerutil.IndexControllerUID, cj.UID)
	st := api.DeepCopy(&cj.Status)
	cleanupErr := c.trackJobs(ctx, cj, st, jobs)

	after, runErr := c.run(ctx, cj, st, jobs)
	if !reflect.DeepEqual(*st, cj.Status) {
		cj.Status = *st
		if _, err := c.w.UpdateStatus(ctx, cj); err != nil {
			return 0, errors.Join(cleanupErr, runErr, fmt.Errorf("update status: %w", err))
		}
	}
	if err := errors.Join(cleanupErr, runErr); err != nil {
		c.events.Eventf(ref, api.EventTypeWarning, "FailedSync", "%v", err)
		return 0, err
	}
	return after, nil
}

// trackJobs brings status.active and status.lastSuccessfulTime up to date
// with the owned Jobs, and deletes finished Jobs beyond the history limits.
func (c *Controller) trackJobs(ctx context.Context, cj *api.CronJob, st *api.CronJobStatus, jobs []*api.Job) error {
	ref := controllerutil.Ref(apiVersion, kind, cj)
	byUID := map[string]*api.Job{}
	var succeeded, failed []*api.Job
	for _, j := range jobs {
		byUID[j.UID] = j
		cond := finished(j)
		if cond == "" {
			if !slices.ContainsFunc(st.Active, func(r api.ObjectReference) bool { return r.UID == j.UID }) && j.DeletionTimestamp == nil {
				st.Active = append(st.Active, jobRef(j)) // created by a sync whose status write was lost
			}
			continue
		}
		if slices.ContainsFunc(st.Active, func(r api.ObjectReference) bool { return r.UID == j.UID }) {
			c.events.Eventf(ref, api.EventTypeNormal, "SawCompletedJob", "Saw completed job: %s, condition: %s", j.Name, cond)
		}
		if cond == api.JobComplete {
			succeeded = append(succeeded, j)
			if t := j.Status.CompletionTime; t != nil && (st.LastSuccessfulTime == nil || t.After(st.LastSuccessfulTime.Time)) {
				st.LastSuccessfulTime = api.DeepCopy(t)
			}
		} else {
			failed = append(failed, j)
		}
	}
	// Drop finished and vanished Jobs from the active list.
	st.Active = slices.DeleteFunc(st.Active, func(r api.ObjectReference) bool {
		j, ok := byUID[r.UID]
		return !ok || finished(j) != ""
	})
	if len(st.Active) == 0 {
		st.Active = nil
	}
	if cj.DeletionTimestamp != nil {
		return nil
	}
	return errors.Join(
		c.pruneHistory(ctx, cj, succeeded, limit(cj.Spec.SuccessfulJobsHistoryLimit, 3)),
		c.pruneHistory(ctx, cj, failed, limit(cj.Spec.FailedJobsHistoryLimit, 1)))
}

func limit(p *int32, def int32) int {
	if p == nil {
		return int(def)
	}
	return int(*p)
}

// pruneHistory deletes the oldest of jobs beyond keep.
func (c *Controller) pruneHistory(ctx context.Context, cj *api.CronJob, jobs []*api.Job, keep int) error {
	if len(jobs) <= keep {
		return nil
	}
	slices.SortFunc(jobs, func(a, b *api.Job) int {
		return startOf(a).Compare(startOf(b))
	})
	var errs []error
	for _, j := range jobs[:len(jobs)-keep] {
		if j.DeletionTimestamp != nil {
			continue
		}
		if err := c.deleteJob(ctx, cj, j); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// startOf is when a Job started, or was created if it never did.
func startOf(j *api.Job) time.Time {
	if j.Status.StartTime != nil {
		return j.Status.StartTime.Time
	}
	return j.CreationTimestamp.Time
}

func (c *Controller) deleteJob(ctx context.Context, cj *api.CronJob, j *api.Job) error {
	ref := controllerutil.Ref(apiVersion, kind, cj)
	if err := c.w.DeleteJob(ctx, j.Namespace, j.Name, j.UID); err != nil && !client.IsNotFound(err) {
		c.events.Eventf(ref, api.EventTypeWarning, "FailedDelete", "Deleted job: %v", err)
		return fmt.Errorf("delete job %s: %w", j.Name, err)
	}
	c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulDelete", "Deleted job %s", j.Name)
	return nil
}

// run starts the Job of the latest scheduled time if it is due, and
// returns when to look again.
func (c *Controller) run(ctx context.Context, cj *api.CronJob, st *api.CronJobStatus, jobs []*api.Job) (time.Duration, error) {
	ref := controllerutil.Ref(apiVersion, kind, cj)
	if cj.DeletionTimestamp != nil || (cj.Spec.Suspend != nil && *cj.Spec.Suspend) {
		return 0, nil
	}
	sched, err := parse(cj)
	if err != nil {
		// Validation admits only valid schedules and zones; a zone can
		// still be missing from this host's tz database.
		c.events.Eventf(ref, api.EventTypeWarning, "UnparseableSchedule", "unparseable schedule: %q : %v", cj.Spec.Schedule, err)
		return 0, nil
	}
	now := c.now()
	next := func() time.Duration { return sched.Next(now).Sub(now) + nextDelay }
	earliest := cj.CreationTimestamp.Time
	if st.LastScheduleTime != nil {
		earliest = st.LastScheduleTime.Time
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil {
		if from := now.Add(-time.Duration(*d) * time.Second); from.After(earliest) {
			earliest = from
		}
	}
	scheduled, missed := mostRecent(sched, earliest, now)
	if missed == 0 {
		return next(), nil
	}
	if missed > tooManyMissed {
		c.events.Eventf(ref, api.EventTypeWarning, "TooManyMissedTimes",
			"too many missed start times: %d. Set or decrease .spec.startingDeadlineSeconds or check clock skew", missed)
	}
	if d := cj.Spec.StartingDeadlineSeconds; d != nil && scheduled.Add(time.Duration(*d)*time.Second).Before(now) {
		c.events.Eventf(ref, api.EventTypeWarning, "MissSchedule", "Missed scheduled time to start a job: %s", scheduled.Format(time.RFC1123Z))
		return next(), nil
	}
	name := jobName(cj, scheduled)
	if slices.ContainsFunc(jobs, func(j *api.Job) bool { return j.Name == name }) ||
		slices.ContainsFunc(st.Active, func(r api.ObjectReference) bool { return r.Name == name }) {
		// This time has run already. If the sync that created its Job lost
		// its status write, the time is recorded now, as trackJobs
		// restores the Job in Active.
		t := api.NewTime(scheduled)
		st.LastScheduleTime = &t
		return next(), nil
	}
	switch cj.Spec.ConcurrencyPolicy {
	case api.ForbidConcurrent:
		if len(st.Active) > 0 {
			c.events.Eventf(ref, api.EventTypeNormal, "JobAlreadyActive",
				"Not starting job because prior execution is running and concurrency policy is Forbid")
			return next(), nil
		}
	case api.ReplaceConcurrent:
		for _, r := range st.Active {
			j, ok := c.jobs.Get(informer.Key{Namespace: cj.Namespace, Name: r.Name})
			if !ok || j.UID != r.UID {
				continue
			}
			if err := c.deleteJob(ctx, cj, j); err != nil {
				return 0, err
			}
		}
		st.Active = nil
	}
	job := jobFromTemplate(cj, scheduled, name)
	created, err := c.w.CreateJob(ctx, job)
	switch {
	case client.IsAlreadyExists(err):
		// A sync whose status write was lost created it: the informer
		// brings it, and trackJobs lists it as active.
		return time.Second, nil
	case err != nil:
		c.events.Eventf(ref, api.EventTypeWarning, "FailedCreate", "Error creating job: %v", err)
		return 0, fmt.Errorf("create job: %w", err)
	}
	c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulCreate", "Created job %s", created.Name)
	st.Active = append(st.Active, jobRef(created))
	t := api.NewTime(scheduled)
	st.LastScheduleTime = &t
	return next(), nil
}

// parse reads the schedule in the CronJob's time zone.
func parse(cj *api.CronJob) (cron.Schedule, error) {
	s := cj.Spec.Schedule
	if cj.Spec.TimeZone != nil {
		s = "CRON_TZ=" + *cj.Spec.TimeZone + " " + s
	}
	return cron.ParseStandard(s)
}

// mostRecent returns the latest scheduled time after earliest and not
// after now, and how many there are (counted up to tooManyMissed+1).
func mostRecent(sched cron.Schedule, earliest, now time.Time) (time.Time, int) {
	var last time.Time
	missed := 0
	for t := sched.Next(earliest); !t.After(now); t = sched.Next(t) {
		last, missed = t, missed+1
		if missed > tooManyMissed {
			break
		}
	}
	if missed <= tooManyMissed {
		return last, missed
	}
	// Many missed: look for the latest in growing windows before now
	// rather than step through all of them.
	for _, d := range []time.Duration{time.Minute, time.Hour, 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		from := now.Add(-d)
		if from.Before(last) {
			from = last
		}
		if t := sched.Next(from); !t.After(now) {
			for ; !t.After(now); t = sched.Next(t) {
				last = t
			}
			return last, missed
		}
	}
	for t := sched.Next(last); !t.After(now); t = sched.Next(t) {
		last = t
	}
	return last, missed
}

// jobName is <cronjob>-<scheduled time in Unix minutes>, as Kubernetes.
func jobName(cj *api.CronJob, scheduled time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, scheduled.Unix()/60)
}

// jobFromTemplate is the Job of cj for the scheduled time.
func jobFromTemplate(cj *api.CronJob, scheduled time.Time, name string) *api.Job {
	t := api.DeepCopy(&cj.Spec.JobTemplate)
	ann := maps.Clone(t.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	at := scheduled
	if cj.Spec.TimeZone != nil {
		if loc, err := time.LoadLocation(*cj.Spec.TimeZone); err == nil {
			at = at.In(loc)
		}
	}
	ann[api.CronJobScheduledTimestampAnnotation] = at.Format(time.RFC3339)
	return &api.Job{
		TypeMeta: api.TypeMeta{APIVersion: apiVersion, Kind: "Job"},
		ObjectMeta: api.ObjectMeta{
			Name:            name,
			Namespace:       cj.Namespace,
			Labels:          maps.Clone(t.Labels),
			Annotations:     ann,
			OwnerReferences: []api.OwnerReference{*api.NewControllerRef(cj.ObjectMeta, apiVersion, kind)},
		},
		Spec: t.Spec,
	}
}

func jobRef(j *api.Job) api.ObjectReference {
	return api.ObjectReference{APIVersion: apiVersion, Kind: "Job", Namespace: j.Namespace, Name: j.Name,
		UID: j.UID, ResourceVersion: j.ResourceVersion}
}

// finished is the type of the Job's true Complete or Failed condition, or
// "".
func finished(j *api.Job) string {
	for _, c := range j.Status.Conditions {
		if (c.Type == api.JobComplete || c.Type == api.JobFailed) && c.Status == api.ConditionTrue {
			return c.Type
		}
	}
	return ""
}
