package registry

import (
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// jobs: batch/v1 Job. Unless manualSelector is true, the API server picks
// the selector on create, as Kubernetes does: the template is labelled
// with the Job's name and uid (batch.kubernetes.io/job-name and
// controller-uid, and their older unprefixed forms) and the selector
// matches the uid. Its status is the job controller's; the template is
// immutable.
var jobs = &Resource{
	Group: "batch", Version: "v1", Kind: "Job", Name: "jobs", Singular: "job",
	Namespaced: true, Categories: []string{"all"},
	Subresources: []string{"status"},
	Schema:       GoType[api.Job](),
	Strategy: Strategy{
		Default: defaults.Job,
		PrepareForCreate: func(o Object) {
			ResetStatus(o)
			if b, _ := value(o, "spec", "manualSelector").(bool); !b {
				generateJobSelector(o)
			}
		},
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateJob),
	},
	Fields: map[string][]string{"status.successful": {"status", "succeeded"}},
	Columns: []Column{
		{Name: "Status", Type: "string", Description: "Status of the job.", Cell: jobStatus},
		{Name: "Completions", Type: "string", Description: "The completion status of the job.",
			Cell: func(o map[string]any, _ time.Time) any { return jobCompletions(o) }},
		{Name: "Duration", Type: "string", Description: "Time required to complete the job.", Cell: jobDuration},
		ageColumn,
		containersColumn, imagesColumn, selectorColumn,
	},
	GroupTypes: []string{"PodFailurePolicy", "PodFailurePolicyRule", "PodFailurePolicyOnExitCodesRequirement",
		"PodFailurePolicyOnPodConditionsPattern", "SuccessPolicy", "SuccessPolicyRule", "UncountedTerminatedPods"},
	Docs: map[string]string{
		"Job":                             "Job represents the configuration of a single job.",
		"Job.spec":                        "Specification of the desired behavior of a job.",
		"Job.status":                      "Current status of a job.",
		"JobSpec":                         "JobSpec describes how the job execution will look like.",
		"JobSpec.parallelism":             "Specifies the maximum desired number of pods the job should run at any given time. Defaults to 1.",
		"JobSpec.completions":             "Specifies the desired number of successfully finished pods the job should be run with. Defaults to 1 when neither completions nor parallelism is set.",
		"JobSpec.backoffLimit":            "Specifies the number of retries before marking this job failed. Defaults to 6.",
		"JobSpec.template":                "Describes the pod that will be created when executing a job. The only allowed template.spec.restartPolicy values are \"Never\" or \"OnFailure\".",
		"JobSpec.selector":                "A label query over pods that should match the pod count. Normally, the system sets this field for you.",
		"JobSpec.manualSelector":          "manualSelector controls generation of pod labels and pod selectors. When false or unset, the system picks labels unique to this job and appends those labels to the pod template. When true, the user is responsible for picking unique labels and specifying the selector.",
		"JobSpec.completionMode":          "completionMode specifies how Pod completions are tracked. It can be `NonIndexed` (default) or `Indexed`.",
		"JobSpec.suspend":                 "suspend specifies whether the Job controller should create Pods or not. Defaults to false.",
		"JobSpec.activeDeadlineSeconds":   "Specifies the duration in seconds relative to the startTime that the job may be continuously active before the system tries to terminate it; value must be positive integer.",
		"JobSpec.ttlSecondsAfterFinished": "ttlSecondsAfterFinished limits the lifetime of a Job that has finished execution (either Complete or Failed).",
		"JobStatus":                       "JobStatus represents the current state of a Job.",
		"JobStatus.active":                "The number of pending and running pods which are not terminating.",
		"JobStatus.succeeded":             "The number of pods which reached phase Succeeded.",
		"JobStatus.failed":                "The number of pods which reached phase Failed.",
	},
}

func init() { register(jobs) }

// generateJobSelector labels the template with the Job's name and uid and
// selects the uid, keeping labels the client set; the Job gets the
// template's labels when it has none.
func generateJobSelector(o Object) {
	meta := mapAt(o, "metadata")
	spec := mapAt(o, "spec")
	template := mapAt(spec, "template")
	if meta == nil || spec == nil || template == nil {
		return // not objects: validation refuses the Job
	}
	tmeta, ok := template["metadata"].(map[string]any)
	if !ok {
		tmeta = map[string]any{}
		template["metadata"] = tmeta
	}
	labels, ok := tmeta["labels"].(map[string]any)
	if !ok {
		labels = map[string]any{}
		tmeta["labels"] = labels
	}
	name, uid := str(meta, "name"), str(meta, "uid")
	for k, v := range map[string]string{
		api.LegacyJobNameLabel: name, api.JobNameLabel: name,
		api.LegacyJobControllerUIDLabel: uid, api.JobControllerUIDLabel: uid,
	} {
		if _, set := labels[k]; !set {
			labels[k] = v
		}
	}
	sel, ok := spec["selector"].(map[string]any)
	if !ok {
		sel = map[string]any{}
		spec["selector"] = sel
	}
	ml, ok := sel["matchLabels"].(map[string]any)
	if !ok {
		ml = map[string]any{}
		sel["matchLabels"] = ml
	}
	if _, set := ml[api.JobControllerUIDLabel]; !set {
		ml[api.JobControllerUIDLabel] = uid
	}
	if len(mapAt(meta, "labels")) == 0 {
		meta["labels"] = DeepCopy(labels)
	}
}

// jobStatus is the Status cell, as kubectl's printer words it.
func jobStatus(o map[string]any, _ time.Time) any {
	switch {
	case hasCondition(list(o, "status", "conditions"), "Complete"):
		return "Complete"
	case hasCondition(list(o, "status", "conditions"), "Failed"):
		return "Failed"
	case value(o, "metadata", "deletionTimestamp") != nil:
		return "Terminating"
	case hasCondition(list(o, "status", "conditions"), "Suspended"):
		return "Suspended"
	case hasCondition(list(o, "status", "conditions"), "FailureTarget"):
		return "FailureTarget"
	case hasCondition(list(o, "status", "conditions"), "SuccessCriteriaMet"):
		return "SuccessCriteriaMet"
	}
	return "Running"
}

func jobCompletions(o map[string]any) string {
	succeeded := num(o, "status", "succeeded")
	if c, ok := toInt(value(o, "spec", "completions")); ok {
		return fmt.Sprintf("%d/%d", succeeded, c)
	}
	if p, ok := toInt(value(o, "spec", "parallelism")); ok && p > 1 {
		return fmt.Sprintf("%d/1 of %d", succeeded, p)
	}
	return fmt.Sprintf("%d/1", succeeded)
}

func jobDuration(o map[string]any, now time.Time) any {
	start := parseTime(str(o, "status", "startTime"))
	if start.IsZero() {
		return ""
	}
	if end := parseTime(str(o, "status", "completionTime")); !end.IsZero() {
		return HumanDuration(end.Sub(start))
	}
	return HumanDuration(now.Sub(start))
}
