package job

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
)

func indexed(job *api.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == api.IndexedCompletion
}

func completions(job *api.Job) int32 {
	if job.Spec.Completions == nil {
		return 1
	}
	return *job.Spec.Completions
}

func backoffLimit(job *api.Job) int32 {
	if job.Spec.BackoffLimit == nil {
		return 6
	}
	return *job.Spec.BackoffLimit
}

// podIndex is the completion index of a pod of an Indexed Job, if it has
// a valid one.
func podIndex(p *api.Pod, job *api.Job) (int, bool) {
	v, ok := p.Annotations[api.JobCompletionIndexAnnotation]
	if !ok {
		return 0, false
	}
	ix, err := strconv.Atoi(v)
	if err != nil || ix < 0 || ix >= int(completions(job)) {
		return 0, false
	}
	return ix, true
}

// parseIndexes reads status.completedIndexes ("1,3-5"), keeping the
// indexes below n.
func parseIndexes(s string, n int32) map[int]bool {
	out := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := max(a, 0); i <= b && i < int(n); i++ {
			out[i] = true
		}
	}
	return out
}

// formatIndexes writes a set of indexes as sorted intervals ("1,3-5").
func formatIndexes(set map[int]bool) string {
	ixs := make([]int, 0, len(set))
	for i := range set {
		ixs = append(ixs, i)
	}
	slices.Sort(ixs)
	var b strings.Builder
	for i := 0; i < len(ixs); {
		j := i
		for j+1 < len(ixs) && ixs[j+1] == ixs[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ixs[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ixs[j]))
		}
		i = j + 1
	}
	return b.String()
}

func getCondition(st *api.JobStatus, t string) *api.JobCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			return &st.Conditions[i]
		}
	}
	return nil
}

func hasTrue(st *api.JobStatus, t string) bool {
	c := getCondition(st, t)
	return c != nil && c.Status == api.ConditionTrue
}

// setCondition sets the condition of type t and reports whether its
// status changed (its transition time is then now).
func setCondition(st *api.JobStatus, t string, status api.ConditionStatus, reason, msg string, now time.Time) bool {
	ts := api.NewTime(now)
	if c := getCondition(st, t); c != nil {
		changed := c.Status != status
		if changed {
			c.LastTransitionTime = ts
		}
		if changed || c.Reason != reason || c.Message != msg {
			c.Status, c.Reason, c.Message, c.LastProbeTime = status, reason, msg, ts
		}
		return changed
	}
	st.Conditions = append(st.Conditions, api.JobCondition{Type: t, Status: status, Reason: reason, Message: msg,
		LastProbeTime: ts, LastTransitionTime: ts})
	return true
}

// finishedCondition is the Job's Complete or Failed condition if true.
func finishedCondition(job *api.Job) *api.JobCondition {
	for _, t := range []string{api.JobComplete, api.JobFailed} {
		if c := getCondition(&job.Status, t); c != nil && c.Status == api.ConditionTrue {
			return c
		}
	}
	return nil
}
