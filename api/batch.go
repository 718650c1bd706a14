package api

// This file holds the batch/v1 kinds: Job and CronJob. minik8s serves and
// validates them; controllers/job and controllers/cronjob run them.

// Job runs pods until a number of them succeed (batch/v1).
type Job struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the desired behaviour of the job.
	Spec JobSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the observed state, written by the job controller.
	Status JobStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// JobSpec is the desired behaviour of a Job.
type JobSpec struct {
	// Parallelism is the most pods running at once (default 1).
	Parallelism *int32 `json:"parallelism,omitempty" protobuf:"varint,1,opt,name=parallelism"`
	// Completions is the number of pods that must succeed (default 1).
	Completions *int32 `json:"completions,omitempty" protobuf:"varint,2,opt,name=completions"`
	// ActiveDeadlineSeconds bounds the job's run time.
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty" protobuf:"varint,3,opt,name=activeDeadlineSeconds"`
	// PodFailurePolicy decides what a failed pod means.
	PodFailurePolicy *PodFailurePolicy `json:"podFailurePolicy,omitempty" protobuf:"bytes,11,opt,name=podFailurePolicy"`
	// SuccessPolicy decides when an Indexed job has succeeded.
	SuccessPolicy *SuccessPolicy `json:"successPolicy,omitempty" protobuf:"bytes,16,opt,name=successPolicy"`
	// BackoffLimit is the number of retries before the job fails (default 6).
	BackoffLimit *int32 `json:"backoffLimit,omitempty" protobuf:"varint,7,opt,name=backoffLimit"`
	// BackoffLimitPerIndex is the number of retries of each index of an
	// Indexed job.
	BackoffLimitPerIndex *int32 `json:"backoffLimitPerIndex,omitempty" protobuf:"varint,12,opt,name=backoffLimitPerIndex"`
	// MaxFailedIndexes is the most failed indexes before the job fails.
	MaxFailedIndexes *int32 `json:"maxFailedIndexes,omitempty" protobuf:"varint,13,opt,name=maxFailedIndexes"`
	// Selector selects the job's pods; generated unless ManualSelector.
	Selector *LabelSelector `json:"selector,omitempty" protobuf:"bytes,4,opt,name=selector"`
	// ManualSelector lets the user set Selector.
	ManualSelector *bool `json:"manualSelector,omitempty" protobuf:"varint,5,opt,name=manualSelector"`
	// Template is the pod the job runs.
	Template PodTemplateSpec `json:"template" protobuf:"bytes,6,opt,name=template"`
	// TTLSecondsAfterFinished after which a finished job is deleted.
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty" protobuf:"varint,8,opt,name=ttlSecondsAfterFinished"`
	// CompletionMode: NonIndexed (default) or Indexed.
	CompletionMode *CompletionMode `json:"completionMode,omitempty" protobuf:"bytes,9,opt,name=completionMode,casttype=CompletionMode"`
	// Suspend stops the job from creating pods (default false).
	Suspend *bool `json:"suspend,omitempty" protobuf:"varint,10,opt,name=suspend"`
	// PodReplacementPolicy: when a replacement pod is created.
	PodReplacementPolicy *string `json:"podReplacementPolicy,omitempty" protobuf:"bytes,14,opt,name=podReplacementPolicy"`
	// ManagedBy names the controller that manages the job.
	ManagedBy *string `json:"managedBy,omitempty" protobuf:"bytes,15,opt,name=managedBy"`
}

// CompletionMode is how a Job counts completions.
type CompletionMode string

// Completion modes.
const (
	// NonIndexedCompletion: the job is complete after Completions pods succeed.
	NonIndexedCompletion CompletionMode = "NonIndexed"
	// IndexedCompletion: each pod gets an index; each index must succeed once.
	IndexedCompletion CompletionMode = "Indexed"
)

// PodFailurePolicy lists rules for failed pods, the first match wins.
type PodFailurePolicy struct {
	// Rules are checked in order.
	Rules []PodFailurePolicyRule `json:"rules" protobuf:"bytes,1,opt,name=rules"`
}

// PodFailurePolicyRule is one rule of a pod failure policy.
type PodFailurePolicyRule struct {
	// Action: FailJob, FailIndex, Ignore or Count.
	Action string `json:"action" protobuf:"bytes,1,req,name=action"`
	// OnExitCodes matches the pod's container exit codes.
	OnExitCodes *PodFailurePolicyOnExitCodesRequirement `json:"onExitCodes,omitempty" protobuf:"bytes,2,opt,name=onExitCodes"`
	// OnPodConditions matches the pod's conditions.
	OnPodConditions []PodFailurePolicyOnPodConditionsPattern `json:"onPodConditions,omitempty" protobuf:"bytes,3,opt,name=onPodConditions"`
}

// PodFailurePolicyOnExitCodesRequirement matches exit codes.
type PodFailurePolicyOnExitCodesRequirement struct {
	// ContainerName restricts the rule to one container.
	ContainerName *string `json:"containerName,omitempty" protobuf:"bytes,1,opt,name=containerName"`
	// Operator: In or NotIn.
	Operator string `json:"operator" protobuf:"bytes,2,req,name=operator"`
	// Values are the exit codes.
	Values []int32 `json:"values" protobuf:"varint,3,rep,name=values"`
}

// PodFailurePolicyOnPodConditionsPattern matches a pod condition.
type PodFailurePolicyOnPodConditionsPattern struct {
	// Type of the pod condition.
	Type PodConditionType `json:"type" protobuf:"bytes,1,req,name=type"`
	// Status of the pod condition.
	Status ConditionStatus `json:"status" protobuf:"bytes,2,req,name=status"`
}

// SuccessPolicy lists when an Indexed job has succeeded.
type SuccessPolicy struct {
	// Rules, any of which makes the job succeed.
	Rules []SuccessPolicyRule `json:"rules" protobuf:"bytes,1,opt,name=rules"`
}

// SuccessPolicyRule is one success rule.
type SuccessPolicyRule struct {
	// SucceededIndexes is a list of index intervals ("1,3-5").
	SucceededIndexes *string `json:"succeededIndexes,omitempty" protobuf:"bytes,1,opt,name=succeededIndexes"`
	// SucceededCount is the number of indexes that must succeed.
	SucceededCount *int32 `json:"succeededCount,omitempty" protobuf:"varint,2,opt,name=succeededCount"`
}

// JobStatus is the observed state of a Job.
type JobStatus struct {
	// Conditions: Complete, Failed, Suspended, ...
	Conditions []JobCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type" protobuf:"bytes,1,rep,name=conditions"`
	// StartTime is when the job started.
	StartTime *Time `json:"startTime,omitempty" protobuf:"bytes,2,opt,name=startTime"`
	// CompletionTime is when the job completed.
	CompletionTime *Time `json:"completionTime,omitempty" protobuf:"bytes,3,opt,name=completionTime"`
	// Active is the number of pending and running pods.
	Active int32 `json:"active,omitempty" protobuf:"varint,4,opt,name=active"`
	// Succeeded is the number of pods that succeeded.
	Succeeded int32 `json:"succeeded,omitempty" protobuf:"varint,5,opt,name=succeeded"`
	// Failed is the number of pods that failed.
	Failed int32 `json:"failed,omitempty" protobuf:"varint,6,opt,name=failed"`
	// Terminating is the number of terminating pods.
	Terminating *int32 `json:"terminating,omitempty" protobuf:"varint,11,opt,name=terminating"`
	// CompletedIndexes of an Indexed job, as intervals.
	CompletedIndexes string `json:"completedIndexes,omitempty" protobuf:"bytes,7,opt,name=completedIndexes"`
	// FailedIndexes of an Indexed job, as intervals.
	FailedIndexes *string `json:"failedIndexes,omitempty" protobuf:"bytes,10,opt,name=failedIndexes"`
	// UncountedTerminatedPods are finished pods not yet counted.
	UncountedTerminatedPods *UncountedTerminatedPods `json:"uncountedTerminatedPods,omitempty" protobuf:"bytes,8,opt,name=uncountedTerminatedPods"`
	// Ready is the number of ready pods.
	Ready *int32 `json:"ready,omitempty" protobuf:"varint,9,opt,name=ready"`
}

// UncountedTerminatedPods are the UIDs of finished pods not yet counted.
type UncountedTerminatedPods struct {
	// Succeeded pods' UIDs.
	Succeeded []string `json:"succeeded,omitempty" protobuf:"bytes,1,rep,name=succeeded"`
	// Failed pods' UIDs.
	Failed []string `json:"failed,omitempty" protobuf:"bytes,2,rep,name=failed"`
}

// JobCondition is one aspect of a Job's state.
type JobCondition struct {
	// Type: Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet.
	Type string `json:"type" protobuf:"bytes,1,opt,name=type"`
	// Status: True, False or Unknown.
	Status ConditionStatus `json:"status" protobuf:"bytes,2,opt,name=status"`
	// LastProbeTime is when the condition was last checked.
	LastProbeTime Time `json:"lastProbeTime,omitempty" protobuf:"bytes,3,opt,name=lastProbeTime"`
	// LastTransitionTime is when Status last changed.
	LastTransitionTime Time `json:"lastTransitionTime,omitempty" protobuf:"bytes,4,opt,name=lastTransitionTime"`
	// Reason is a brief CamelCase reason for the last transition.
	Reason string `json:"reason,omitempty" protobuf:"bytes,5,opt,name=reason"`
	// Message is a human-readable explanation.
	Message string `json:"message,omitempty" protobuf:"bytes,6,opt,name=message"`
}

// Labels the API server puts on a Job's pod template (and selector) when
// it generates the selector.
const (
	// JobControllerUIDLabel carries the Job's UID.
	JobControllerUIDLabel = "batch.kubernetes.io/controller-uid"
	// JobNameLabel carries the Job's name.
	JobNameLabel = "batch.kubernetes.io/job-name"
	// LegacyJobControllerUIDLabel is the older label with the Job's UID.
	LegacyJobControllerUIDLabel = "controller-uid"
	// LegacyJobNameLabel is the older label with the Job's name.
	LegacyJobNameLabel = "job-name"
)

// JobTemplateSpec is the Job a CronJob creates.
type JobTemplateSpec struct {
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec of the jobs created from the template.
	Spec JobSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
}

// CronJob creates Jobs on a schedule (batch/v1).
type CronJob struct {
	TypeMeta   `json:",inline"`
	ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// Spec is the schedule and the job.
	Spec CronJobSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// Status is the observed state, written by the CronJob controller.
	Status CronJobStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// CronJobSpec is the desired behaviour of a CronJob.
type CronJobSpec struct {
	// Schedule in cron format ("*/5 * * * *", "@hourly").
	Schedule string `json:"schedule" protobuf:"bytes,1,opt,name=schedule"`
	// TimeZone of the schedule, a tz database name.
	TimeZone *string `json:"timeZone,omitempty" protobuf:"bytes,8,opt,name=timeZone"`
	// StartingDeadlineSeconds after a missed schedule within which the job
	// may still start.
	StartingDeadlineSeconds *int64 `json:"startingDeadlineSeconds,omitempty" protobuf:"varint,2,opt,name=startingDeadlineSeconds"`
	// ConcurrencyPolicy: Allow (default), Forbid or Replace.
	ConcurrencyPolicy ConcurrencyPolicy `json:"concurrencyPolicy,omitempty" protobuf:"bytes,3,opt,name=concurrencyPolicy,casttype=ConcurrencyPolicy"`
	// Suspend stops new runs (default false).
	Suspend *bool `json:"suspend,omitempty" protobuf:"varint,4,opt,name=suspend"`
	// JobTemplate is the job created on each run.
	JobTemplate JobTemplateSpec `json:"jobTemplate" protobuf:"bytes,5,opt,name=jobTemplate"`
	// SuccessfulJobsHistoryLimit is the number of finished jobs kept (default 3).
	SuccessfulJobsHistoryLimit *int32 `json:"successfulJobsHistoryLimit,omitempty" protobuf:"varint,6,opt,name=successfulJobsHistoryLimit"`
	// FailedJobsHistoryLimit is the number of failed jobs kept (default 1).
	FailedJobsHistoryLimit *int32 `json:"failedJobsHistoryLimit,omitempty" protobuf:"varint,7,opt,name=failedJobsHistoryLimit"`
}

// ConcurrencyPolicy is what a CronJob does when a run is due while
// another runs.
type ConcurrencyPolicy string

// Concurrency policies.
const (
	AllowConcurrent   ConcurrencyPolicy = "Allow"
	ForbidConcurrent  ConcurrencyPolicy = "Forbid"
	ReplaceConcurrent ConcurrencyPolicy = "Replace"
)

// CronJobStatus is the observed state of a CronJob.
type CronJobStatus struct {
	// Active are the running jobs.
	Active []ObjectReference `json:"active,omitempty" protobuf:"bytes,1,rep,name=active"`
	// LastScheduleTime is when a job was last scheduled.
	LastScheduleTime *Time `json:"lastScheduleTime,omitempty" protobuf:"bytes,4,opt,name=lastScheduleTime"`
	// LastSuccessfulTime is when a job last completed.
	LastSuccessfulTime *Time `json:"lastSuccessfulTime,omitempty" protobuf:"bytes,5,opt,name=lastSuccessfulTime"`
}

// Job condition types, as batch/v1 names them.
const (
	JobComplete           = "Complete"
	JobFailed             = "Failed"
	JobSuspended          = "Suspended"
	JobFailureTarget      = "FailureTarget"
	JobSuccessCriteriaMet = "SuccessCriteriaMet"
)

// Pod metadata the Job controller manages.
const (
	// JobTrackingFinalizer is on every pod of a Job until the Job
	// controller has counted it in the Job's status.
	JobTrackingFinalizer = "batch.kubernetes.io/job-tracking"
	// JobCompletionIndexAnnotation (also a label) is the completion
	// index of a pod of an Indexed Job.
	JobCompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index"
	// CronJobScheduledTimestampAnnotation is the scheduled time (RFC 3339)
	// of a Job a CronJob created.
	CronJobScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp"
)
