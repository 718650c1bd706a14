package job

import (
	"fmt"
	"slices"

	"github.com/minik8s/minik8s/api"
)

// Pod failure policy actions.
const (
	actionFailJob   = "FailJob"
	actionFailIndex = "FailIndex"
	actionIgnore    = "Ignore"
	actionCount     = "Count"
)

// reasonPodFailurePolicy is the FailureTarget and Failed reason of a Job a
// FailJob rule failed.
const reasonPodFailurePolicy = "PodFailurePolicy"

// matchPolicy returns the action of the first rule of the Job's
// podFailurePolicy that the failed pod matches, with a message saying
// why, as Kubernetes words it; Count when none matches. FailIndex needs
// backoffLimitPerIndex, which minik8s does not implement: it counts.
func matchPolicy(job *api.Job, p *api.Pod) (action, msg string) {
	if job.Spec.PodFailurePolicy == nil || p.Status.Phase != api.PodFailed {
		return actionCount, ""
	}
	for i, r := range job.Spec.PodFailurePolicy.Rules {
		var why string
		if r.OnExitCodes != nil {
			why = matchExitCodes(r.OnExitCodes, p, r.Action, i)
		} else {
			why = matchConditions(r.OnPodConditions, p, r.Action, i)
		}
		if why == "" {
			continue
		}
		if r.Action == actionFailIndex {
			return actionCount, ""
		}
		return r.Action, why
	}
	return actionCount, ""
}

// matchExitCodes matches a non-zero exit code of a terminated container
// (init containers too).
func matchExitCodes(req *api.PodFailurePolicyOnExitCodesRequirement, p *api.Pod, action string, i int) string {
	for _, cs := range slices.Concat(p.Status.InitContainerStatuses, p.Status.ContainerStatuses) {
		t := cs.State.Terminated
		if t == nil || t.ExitCode == 0 || (req.ContainerName != nil && *req.ContainerName != cs.Name) {
			continue
		}
		in := slices.Contains(req.Values, t.ExitCode)
		if (req.Operator == "In") == in {
			return fmt.Sprintf("Container %s for pod %s/%s failed with exit code %d matching %s rule at index %d",
				cs.Name, p.Namespace, p.Name, t.ExitCode, action, i)
		}
	}
	return ""
}

func matchConditions(patterns []api.PodFailurePolicyOnPodConditionsPattern, p *api.Pod, action string, i int) string {
	for _, pat := range patterns {
		status := pat.Status
		if status == "" {
			status = api.ConditionTrue
		}
		if c := api.GetPodCondition(&p.Status, pat.Type); c != nil && c.Status == status {
			return fmt.Sprintf("Pod %s/%s has condition %s matching %s rule at index %d", p.Namespace, p.Name, pat.Type, action, i)
		}
	}
	return ""
}
