package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/labels"
)

// Condition reasons and messages, as Kubernetes writes them.
const (
	reasonBackoffLimitExceeded = "BackoffLimitExceeded"
	reasonDeadlineExceeded     = "DeadlineExceeded"
	reasonCompletionsReached   = "CompletionsReached"
	reasonSuspended            = "JobSuspended"
	reasonResumed              = "JobResumed"

	msgBackoffLimitExceeded = "Job has reached the specified backoff limit"
	msgDeadlineExceeded     = "Job was active longer than specified deadline"
	msgCompletionsReached   = "Reached expected number of succeeded pods"
)

// sync reconciles one Job from the caches; see the package doc. after is
// when it must be looked at again although nothing changes (a back-off,
// a deadline, a TTL).
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	cached, ok := c.jobs.Get(key)
	if !ok {
		c.forget(key.String())
		return 0, c.releaseOrphans(ctx, key)
	}
	if c.stale(cached) {
		c.log.Debug().Str("job", key.String()).Str("resourceVersion", cached.ResourceVersion).Msg("cache older than the last status write; sync deferred")
		return 0, nil
	}
	job := api.DeepCopy(cached)
	now := c.now()
	if cond := finishedCondition(job); cond != nil {
		// Pods that finished after the Job did are not counted.
		if err := c.removeFinalizers(ctx, job, c.ownedPods(job)); err != nil {
			return 0, err
		}
		return c.expire(ctx, job, cond, now)
	}
	if job.DeletionTimestamp != nil {
		// Being deleted: let the garbage collector delete the pods.
		return 0, c.removeFinalizers(ctx, job, c.ownedPods(job))
	}
	sel, err := labels.FromLabelSelector(job.Spec.Selector)
	if err != nil || sel.Empty() {
		c.log.Warn().Err(err).Str("job", key.String()).Msg("invalid selector")
		return 0, nil
	}
	satisfied := c.exp.Satisfied(key.String())
	pods, err := c.claimPods(ctx, job, sel)
	if err != nil {
		return 0, fmt.Errorf("claim pods: %w", err)
	}
	s := c.newState(job, pods, now)
	after, manageErr := c.manage(ctx, s, satisfied)
	if err := c.flush(ctx, s); err != nil {
		return 0, errors.Join(manageErr, err)
	}
	return after, manageErr
}

// state is one sync's view of a Job.
type state struct {
	job      *api.Job
	st       api.JobStatus // the status to write
	now      time.Time
	active   []*api.Pod // running or pending, not being deleted
	finished []*api.Pod // terminal or being deleted, still with the finalizer
	// terminating counts pods being deleted that have not finished.
	terminating int32
	// completed is the set of succeeded indexes of an Indexed Job.
	completed map[int]bool
	// created and deleted are this sync's pod writes that succeeded.
	created, deleted int
	// ignored are failed pods a podFailurePolicy Ignore rule matched:
	// released without being counted.
	ignored []*api.Pod
	// failJob is the message of the FailJob rule a pod matched.
	failJob string
}

// podSucceeded and podFailed say how a finished pod counts: a pod being
// deleted before it succeeded has failed.
func podSucceeded(p *api.Pod) bool { return p.Status.Phase == api.PodSucceeded }
func podFailed(p *api.Pod) bool {
	return p.Status.Phase == api.PodFailed || (p.DeletionTimestamp != nil && p.Status.Phase != api.PodSucceeded)
}

func hasFinalizer(p *api.Pod) bool { return slices.Contains(p.Finalizers, api.JobTrackingFinalizer) }

// newState sorts the pods and enters the ones that just finished into
// status.uncountedTerminatedPods.
func (c *Controller) newState(job *api.Job, pods []*api.Pod, now time.Time) *state {
	s := &state{job: job, st: *api.DeepCopy(&job.Status), now: now}
	if s.st.UncountedTerminatedPods == nil {
		s.st.UncountedTerminatedPods = &api.UncountedTerminatedPods{}
	}
	unc := s.st.UncountedTerminatedPods
	if indexed(job) {
		s.completed = parseIndexes(s.st.CompletedIndexes, completions(job))
	}
	key := job.Key()
	var newFailures, newSuccesses int
	for _, p := range pods {
		if p.DeletionTimestamp != nil && !api.IsPodTerminal(p) {
			s.terminating++
		}
		if controllerutil.IsPodActive(p) {
			s.active = append(s.active, p)
			continue
		}
		if !hasFinalizer(p) || c.removalPending(key, p.UID) {
			continue // counted already, or never tracked
		}
		s.finished = append(s.finished, p)
		if slices.Contains(unc.Succeeded, p.UID) || slices.Contains(unc.Failed, p.UID) {
			continue
		}
		switch {
		case podSucceeded(p):
			unc.Succeeded = append(unc.Succeeded, p.UID)
			newSuccesses++
			if ix, ok := podIndex(p, job); ok && s.completed != nil {
				s.completed[ix] = true
			}
		case podFailed(p):
			action, msg := matchPolicy(job, p)
			if action == actionIgnore {
				s.ignored = append(s.ignored, p)
				continue
			}
			if action == actionFailJob && s.failJob == "" {
				s.failJob = msg
			}
			unc.Failed = append(unc.Failed, p.UID)
			newFailures++
		}
	}
	if indexed(job) {
		s.st.CompletedIndexes = formatIndexes(s.completed)
	}
	c.mu.Lock()
	b := c.backoff[key]
	if newSuccesses > 0 {
		b = backoffRecord{}
	}
	if newFailures > 0 {
		b.failures += newFailures
		b.lastFailure = now
	}
	c.backoff[key] = b
	c.mu.Unlock()
	return s
}

// succeeded and failed count the counted and the uncounted pods.
func (s *state) succeeded() int {
	if indexed(s.job) {
		return len(s.completed)
	}
	return int(s.st.Succeeded) + len(s.st.UncountedTerminatedPods.Succeeded)
}

func (s *state) failed() int {
	return int(s.st.Failed) + len(s.st.UncountedTerminatedPods.Failed)
}

// manage decides the Job's conditions and creates or deletes pods.
func (c *Controller) manage(ctx context.Context, s *state, satisfied bool) (time.Duration, error) {
	job, now := s.job, s.now
	ref := controllerutil.Ref(apiVersion, kind, job)
	suspended := job.Spec.Suspend != nil && *job.Spec.Suspend
	// Suspend and resume.
	if suspended {
		if setCondition(&s.st, api.JobSuspended, api.ConditionTrue, reasonSuspended, "Job suspended", now) {
			c.events.Eventf(ref, api.EventTypeNormal, "Suspended", "Job suspended")
		}
	} else {
		if cond := getCondition(&s.st, api.JobSuspended); cond != nil && cond.Status == api.ConditionTrue {
			setCondition(&s.st, api.JobSuspended, api.ConditionFalse, reasonResumed, "Job resumed", now)
			c.events.Eventf(ref, api.EventTypeNormal, "Resumed", "Job resumed")
			s.st.StartTime = nil
		}
		if s.st.StartTime == nil {
			t := api.NewTime(now)
			s.st.StartTime = &t
		}
	}

	// Success and failure criteria.
	var after time.Duration
	if !hasTrue(&s.st, api.JobFailureTarget) && !hasTrue(&s.st, api.JobSuccessCriteriaMet) {
		switch {
		case s.failJob != "":
			setCondition(&s.st, api.JobFailureTarget, api.ConditionTrue, reasonPodFailurePolicy, s.failJob, now)
		case s.failed() > int(backoffLimit(job)):
			setCondition(&s.st, api.JobFailureTarget, api.ConditionTrue, reasonBackoffLimitExceeded, msgBackoffLimitExceeded, now)
		case !suspended && deadlineLeft(job, s.st.StartTime, now) <= 0:
			setCondition(&s.st, api.JobFailureTarget, api.ConditionTrue, reasonDeadlineExceeded, msgDeadlineExceeded, now)
		case s.successful():
			setCondition(&s.st, api.JobSuccessCriteriaMet, api.ConditionTrue, reasonCompletionsReached, msgCompletionsReached, now)
		default:
			if !suspended && job.Spec.ActiveDeadlineSeconds != nil {
				after = deadlineLeft(job, s.st.StartTime, now)
			}
		}
	}
	if hasTrue(&s.st, api.JobFailureTarget) {
		// The Job failed: its active pods are failures too.
		return 0, c.deletePods(ctx, s, s.active, false)
	}
	if hasTrue(&s.st, api.JobSuccessCriteriaMet) || suspended {
		return 0, c.deletePods(ctx, s, s.active, true)
	}
	if !satisfied {
		return after, nil
	}

	// Keep the wanted number of pods active.
	var excess []*api.Pod
	var indexes []int // Indexed: the indexes to create
	want := wantActive(job, s.succeeded(), len(s.active))
	if indexed(job) {
		var keep []*api.Pod
		held := map[int]bool{}
		for _, p := range s.active {
			ix, ok := podIndex(p, job)
			if !ok || held[ix] || s.completed[ix] {
				excess = append(excess, p) // no index, a duplicate, or done already
				continue
			}
			held[ix] = true
			keep = append(keep, p)
		}
		if extra := len(keep) - want; extra > 0 {
			excess = append(excess, controllerutil.PodsToDelete(keep, extra)...)
		}
		for ix := 0; ix < int(completions(job)) && len(indexes) < want-len(keep); ix++ {
			if !held[ix] && !s.completed[ix] {
				indexes = append(indexes, ix)
			}
		}
	} else {
		if extra := len(s.active) - want; extra > 0 {
			excess = controllerutil.PodsToDelete(s.active, extra)
		}
		for range max(want-len(s.active), 0) {
			indexes = append(indexes, -1)
		}
	}
	if len(excess) > 0 {
		return after, c.deletePods(ctx, s, excess, true)
	}
	if len(indexes) == 0 {
		return after, nil
	}
	if wait := c.backoffLeft(job.Key(), now); wait > 0 {
		return minPositive(after, wait), nil
	}
	return after, c.createPods(ctx, s, indexes[:min(len(indexes), c.cfg.BurstCreates)])
}

// wantActive is how many pods should run: parallelism, but no more than
// the completions left.
func wantActive(job *api.Job, succeeded, active int) int {
	par := 1
	if job.Spec.Parallelism != nil {
		par = int(*job.Spec.Parallelism)
	}
	if job.Spec.Completions == nil {
		if succeeded > 0 {
			return min(active, par) // no new pods; the running ones may finish
		}
		return par
	}
	return max(min(par, int(*job.Spec.Completions)-succeeded), 0)
}

// successful reports whether the Job meets its success criteria.
func (s *state) successful() bool {
	if s.job.Spec.Completions == nil {
		return s.succeeded() > 0 && len(s.active) == 0
	}
	return s.succeeded() >= int(*s.job.Spec.Completions)
}

// backoffLeft is how long pod creation still waits after failures.
func (c *Controller) backoffLeft(key string, now time.Time) time.Duration {
	c.mu.Lock()
	b := c.backoff[key]
	c.mu.Unlock()
	if b.failures == 0 {
		return 0
	}
	d := c.cfg.PodFailureBackoff
	for i := 1; i < b.failures && d < c.cfg.MaxPodFailureBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxPodFailureBackoff)
	return b.lastFailure.Add(d).Sub(now)
}

func deadlineLeft(job *api.Job, start *api.Time, now time.Time) time.Duration {
	if job.Spec.ActiveDeadlineSeconds == nil || start == nil {
		return time.Duration(1<<63 - 1)
	}
	return start.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second).Sub(now)
}

func minPositive(a, b time.Duration) time.Duration {
	if a <= 0 {
		return b
	}
	return min(a, b)
}

// createPods creates one pod per entry of indexes (-1: no index).
func (c *Controller) createPods(ctx context.Context, s *state, indexes []int) error {
	key, ref := s.job.Key(), controllerutil.Ref(apiVersion, kind, s.job)
	n := len(indexes)
	c.exp.ExpectCreations(key, n)
	var next, failed, created atomic.Int64
	ok, err := controllerutil.SlowStartBatch(n, 1, func() error {
		ix := indexes[next.Add(1)-1]
		p, err := c.w.CreatePod(ctx, podFromTemplate(s.job, ix))
		if err != nil {
			failed.Add(1)
			c.exp.CreationObserved(key)
			c.events.Eventf(ref, api.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
			return err
		}
		created.Add(1)
		c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", p.Name)
		return nil
	})
	for range n - ok - int(failed.Load()) {
		c.exp.CreationObserved(key)
	}
	s.created = int(created.Load())
	if err != nil {
		return fmt.Errorf("create pods: %w", err)
	}
	return nil
}

// deletePods deletes pods; with release their finalizer is removed first,
// so that they are not counted as failed.
func (c *Controller) deletePods(ctx context.Context, s *state, pods []*api.Pod, release bool) error {
	if len(pods) == 0 {
		return nil
	}
	key, ref := s.job.Key(), controllerutil.Ref(apiVersion, kind, s.job)
	if release {
		if err := c.removeFinalizers(ctx, s.job, pods); err != nil {
			return err
		}
	}
	keys := make([]string, len(pods))
	for i, p := range pods {
		keys[i] = p.Key()
	}
	c.exp.ExpectDeletions(key, keys)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, p := range pods {
		wg.Go(func() {
			err := c.w.DeletePod(ctx, p.Namespace, p.Name, p.UID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				s.deleted++
				s.terminating++ // until the informer shows it gone
				c.events.Eventf(ref, api.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
				return
			case client.IsNotFound(err):
				s.deleted++
			default:
				c.events.Eventf(ref, api.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
				errs = append(errs, err)
			}
			c.exp.DeletionObserved(key, p.Key())
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete pods: %w", err)
	}
	return nil
}

// removeFinalizers removes the tracking finalizer from those of pods that
// carry it, recording each removal as in flight.
func (c *Controller) removeFinalizers(ctx context.Context, job *api.Job, pods []*api.Pod) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	key := job.Key()
	for _, p := range pods {
		i := slices.Index(p.Finalizers, api.JobTrackingFinalizer)
		if i < 0 {
			continue
		}
		wg.Go(func() {
			err := c.w.PatchPod(ctx, p.Namespace, p.Name, client.JSONPatchType, removeFinalizerPatch(p.UID, i))
			switch {
			case err == nil:
				c.expectRemoval(key, p.UID)
			case client.IsNotFound(err):
			default:
				mu.Lock()
				errs = append(errs, fmt.Errorf("remove finalizer of %s: %w", p.Name, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// removeFinalizerPatch is the JSON patch that removes the tracking
// finalizer at index i of the pod with uid, and fails (422) if the pod or
// its finalizers changed meanwhile.
func removeFinalizerPatch(uid string, i int) []byte {
	path := "/metadata/finalizers/" + strconv.Itoa(i)
	b, err := json.Marshal([]map[string]any{
		{"op": "test", "path": "/metadata/uid", "value": uid},
		{"op": "test", "path": path, "value": api.JobTrackingFinalizer},
		{"op": "remove", "path": path},
	})
	if err != nil {
		panic(err) // strings only
	}
	return b
}

// flush writes the status with the newly finished pods as uncounted,
// removes their finalizers, then moves them into the counters and adds
// the terminal condition once nothing runs any more.
func (c *Controller) flush(ctx context.Context, s *state) error {
	job := s.job
	var ready int32
	for _, p := range s.active {
		if api.IsPodReady(p) {
			ready++
		}
	}
	s.st.Active = int32(max(len(s.active)+s.created-s.deleted, 0))
	s.st.Ready = &ready
	s.st.Terminating = &s.terminating
	if !indexed(job) {
		s.st.CompletedIndexes = ""
	}
	if err := c.writeStatus(ctx, job, &s.st); err != nil {
		return err
	}
	unc := s.st.UncountedTerminatedPods
	var release []*api.Pod
	for _, p := range s.finished {
		if slices.Contains(unc.Succeeded, p.UID) || slices.Contains(unc.Failed, p.UID) {
			release = append(release, p)
		}
	}
	if err := c.removeFinalizers(ctx, job, append(release, s.ignored...)); err != nil {
		return err
	}
	// Every uncounted pod has lost its finalizer now (or is gone).
	if !indexed(job) {
		s.st.Succeeded += int32(len(unc.Succeeded))
	} else {
		s.st.Succeeded = int32(len(s.completed))
	}
	s.st.Failed += int32(len(unc.Failed))
	unc.Succeeded, unc.Failed = nil, nil
	if s.st.Active == 0 && s.terminating == 0 {
		ref := controllerutil.Ref(apiVersion, kind, job)
		if cond := getCondition(&s.st, api.JobFailureTarget); cond != nil && cond.Status == api.ConditionTrue {
			setCondition(&s.st, api.JobFailed, api.ConditionTrue, cond.Reason, cond.Message, s.now)
			c.events.Eventf(ref, api.EventTypeWarning, cond.Reason, "%s", cond.Message)
		} else if cond := getCondition(&s.st, api.JobSuccessCriteriaMet); cond != nil && cond.Status == api.ConditionTrue {
			setCondition(&s.st, api.JobComplete, api.ConditionTrue, cond.Reason, cond.Message, s.now)
			t := api.NewTime(s.now)
			s.st.CompletionTime = &t
			c.events.Eventf(ref, api.EventTypeNormal, "Completed", "Job completed")
		}
	}
	return c.writeStatus(ctx, job, &s.st)
}

// writeStatus writes st as job's status if it differs, and makes job the
// written object.
func (c *Controller) writeStatus(ctx context.Context, job *api.Job, st *api.JobStatus) error {
	norm := func(st api.JobStatus) api.JobStatus {
		if u := st.UncountedTerminatedPods; u != nil && len(u.Succeeded) == 0 && len(u.Failed) == 0 {
			st.UncountedTerminatedPods = nil
		}
		return st
	}
	if reflect.DeepEqual(norm(job.Status), norm(*st)) {
		return nil
	}
	job.Status = *api.DeepCopy(st)
	updated, err := c.w.UpdateJobStatus(ctx, job)
	if err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	c.wrote(updated)
	*job = *updated
	return nil
}

// expire deletes a finished Job once its ttlSecondsAfterFinished has
// passed, or says when to look again.
func (c *Controller) expire(ctx context.Context, job *api.Job, cond *api.JobCondition, now time.Time) (time.Duration, error) {
	if job.Spec.TTLSecondsAfterFinished == nil || job.DeletionTimestamp != nil {
		return 0, nil
	}
	at := cond.LastTransitionTime.Add(time.Duration(*job.Spec.TTLSecondsAfterFinished) * time.Second)
	if left := at.Sub(now); left > 0 {
		return left, nil
	}
	// The cache may be stale: check the TTL on the live Job.
	fresh, err := c.w.GetJob(ctx, job.Namespace, job.Name)
	switch {
	case client.IsNotFound(err):
		return 0, nil
	case err != nil:
		return 0, err
	case fresh.UID != job.UID || fresh.Spec.TTLSecondsAfterFinished == nil:
		return 0, nil
	case !reflect.DeepEqual(fresh.Spec.TTLSecondsAfterFinished, job.Spec.TTLSecondsAfterFinished):
		return time.Second, nil // changed: the informer brings the new one
	}
	if err := c.w.DeleteJob(ctx, job.Namespace, job.Name, job.UID); err != nil && !client.IsNotFound(err) {
		return 0, fmt.Errorf("delete expired job: %w", err)
	}
	c.log.Info().Str("job", job.Key()).Msg("deleted finished job after its TTL")
	return 0, nil
}

// releaseOrphans removes the tracking finalizer from the pods of a Job
// that is gone, so that they can be deleted.
func (c *Controller) releaseOrphans(ctx context.Context, key informer.Key) error {
	var pods []*api.Pod
	for _, p := range c.pods.ByIndex(controllerutil.IndexNamespace, key.Namespace) {
		if r := api.GetControllerOf(&p.ObjectMeta); r != nil && r.Kind == kind && r.Name == key.Name && hasFinalizer(p) {
			pods = append(pods, p)
		}
	}
	if len(pods) == 0 {
		return nil
	}
	return c.removeFinalizers(ctx, &api.Job{ObjectMeta: api.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}, pods)
}

// ownedPods are the cached pods job controls.
func (c *Controller) ownedPods(job *api.Job) []*api.Pod {
	return c.pods.ByIndex(controllerutil.IndexControllerUID, job.UID)
}

// claimPods returns the pods job controls, after adopting and releasing.
func (c *Controller) claimPods(ctx context.Context, job *api.Job, sel labels.Selector) ([]*api.Pod, error) {
	return controllerutil.Claim(ctx, controllerutil.Claimer{
		Owner:           &job.ObjectMeta,
		OwnerAPIVersion: apiVersion,
		OwnerKind:       kind,
		Selector:        sel,
		CanAdopt: func(ctx context.Context) error {
			fresh, err := c.w.GetJob(ctx, job.Namespace, job.Name)
			return controllerutil.CheckOwner(fresh, err, &job.ObjectMeta)
		},
		Patch: func(ctx context.Context, name string, patch []byte) error {
			return c.w.PatchPod(ctx, job.Namespace, name, client.StrategicMergePatchType, patch)
		},
	}, c.ownedPods(job), c.pods.ByIndex(controllerutil.IndexOrphans, job.Namespace))
}

// podFromTemplate is a new pod of job, with the completion index ix
// (-1: none).
func podFromTemplate(job *api.Job, ix int) *api.Pod {
	t := api.DeepCopy(job.Spec.Template)
	prefix := job.Name + "-"
	lbls, ann := maps.Clone(t.Labels), maps.Clone(t.Annotations)
	if ix >= 0 {
		s := strconv.Itoa(ix)
		prefix = job.Name + "-" + s + "-"
		if lbls == nil {
			lbls = map[string]string{}
		}
		if ann == nil {
			ann = map[string]string{}
		}
		lbls[api.JobCompletionIndexAnnotation] = s
		ann[api.JobCompletionIndexAnnotation] = s
		for i := range t.Spec.InitContainers {
			t.Spec.InitContainers[i].Env = append(t.Spec.InitContainers[i].Env, api.EnvVar{Name: "JOB_COMPLETION_INDEX", Value: s})
		}
		for i := range t.Spec.Containers {
			t.Spec.Containers[i].Env = append(t.Spec.Containers[i].Env, api.EnvVar{Name: "JOB_COMPLETION_INDEX", Value: s})
		}
		if t.Spec.Hostname == "" {
			t.Spec.Hostname = job.Name + "-" + s
		}
	}
	return &api.Pod{
		TypeMeta: api.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: api.ObjectMeta{
			GenerateName:    prefix,
			Namespace:       job.Namespace,
			Labels:          lbls,
			Annotations:     ann,
			Finalizers:      append(slices.Clone(t.Finalizers), api.JobTrackingFinalizer),
			OwnerReferences: []api.OwnerReference{*api.NewControllerRef(job.ObjectMeta, apiVersion, kind)},
		},
		Spec: t.Spec,
	}
}
