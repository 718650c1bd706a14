package defaults

import (
	"math"

	"github.com/minik8s/minik8s/api"
)

// This file defaults the kinds of batch/v1, apps/v1 (DaemonSet,
// StatefulSet), autoscaling/v2 and networking.k8s.io/v1, as Kubernetes'
// SetDefaults_* functions of those groups do.

// Job defaults a Job: completions and parallelism 1 when both are unset,
// else parallelism 1; backoffLimit 6 (MaxInt32 with a per-index limit);
// completionMode NonIndexed; suspend and manualSelector false;
// podReplacementPolicy TerminatingOrFailed (Failed with a pod failure
// policy); the Job's labels from its template's when it has none; and
// its pod template.
func Job(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	JobSpec(spec)
	if tl := child(child(child(spec, "template"), "metadata"), "labels"); len(tl) > 0 {
		if meta := ensure(obj, "metadata"); meta != nil && len(child(meta, "labels")) == 0 {
			labels := make(map[string]any, len(tl))
			for k, v := range tl {
				labels[k] = v
			}
			meta["labels"] = labels
		}
	}
}

// JobSpec defaults the spec of a Job (not of a CronJob's job template,
// which Kubernetes leaves to the Job's own defaulting).
func JobSpec(spec map[string]any) {
	if spec["completions"] == nil && spec["parallelism"] == nil {
		spec["completions"] = num(1)
	}
	setIfAbsent(spec, "parallelism", num(1))
	if spec["backoffLimitPerIndex"] != nil {
		setIfAbsent(spec, "backoffLimit", num(math.MaxInt32))
	}
	setIfAbsent(spec, "backoffLimit", num(6))
	setIfAbsent(spec, "completionMode", string(api.NonIndexedCompletion))
	setIfAbsent(spec, "suspend", false)
	setIfAbsent(spec, "manualSelector", false)
	if pfp := child(spec, "podFailurePolicy"); pfp != nil {
		for _, rule := range objects(pfp, "rules") {
			for _, c := range objects(rule, "onPodConditions") {
				setIfZero(c, "status", string(api.ConditionTrue))
			}
		}
		setIfAbsent(spec, "podReplacementPolicy", "Failed")
	}
	setIfAbsent(spec, "podReplacementPolicy", "TerminatingOrFailed")
	PodSpec(ensure(ensure(spec, "template"), "spec"))
}

// CronJob defaults a CronJob: concurrencyPolicy Allow, suspend false,
// history limits 3 (successful) and 1 (failed), and the pod template of
// its job template.
func CronJob(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	setIfZero(spec, "concurrencyPolicy", string(api.AllowConcurrent))
	setIfAbsent(spec, "suspend", false)
	setIfAbsent(spec, "successfulJobsHistoryLimit", num(3))
	setIfAbsent(spec, "failedJobsHistoryLimit", num(1))
	PodSpec(ensure(ensure(ensure(ensure(spec, "jobTemplate"), "spec"), "template"), "spec"))
}

// DaemonSet defaults a DaemonSet: updateStrategy RollingUpdate with
// maxUnavailable 1 and maxSurge 0, revisionHistoryLimit 10, and its pod
// template.
func DaemonSet(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	strategy := ensure(spec, "updateStrategy")
	setIfZero(strategy, "type", "RollingUpdate")
	if strategy != nil && strategy["type"] == "RollingUpdate" {
		ru := ensure(strategy, "rollingUpdate")
		setIfAbsent(ru, "maxUnavailable", num(1))
		setIfAbsent(ru, "maxSurge", num(0))
	}
	setIfAbsent(spec, "revisionHistoryLimit", num(10))
	PodSpec(ensure(ensure(spec, "template"), "spec"))
}

// StatefulSet defaults a StatefulSet: replicas 1, podManagementPolicy
// OrderedReady, updateStrategy RollingUpdate with partition 0,
// revisionHistoryLimit 10, claims retained on delete and scale down, each
// claim template's volumeMode Filesystem, and its pod template.
func StatefulSet(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	setIfAbsent(spec, "replicas", num(1))
	setIfZero(spec, "podManagementPolicy", "OrderedReady")
	strategy := ensure(spec, "updateStrategy")
	setIfZero(strategy, "type", "RollingUpdate")
	if strategy != nil && strategy["type"] == "RollingUpdate" {
		setIfAbsent(ensure(strategy, "rollingUpdate"), "partition", num(0))
	}
	setIfAbsent(spec, "revisionHistoryLimit", num(10))
	retention := ensure(spec, "persistentVolumeClaimRetentionPolicy")
	setIfZero(retention, "whenDeleted", "Retain")
	setIfZero(retention, "whenScaled", "Retain")
	for _, claim := range objects(spec, "volumeClaimTemplates") {
		setIfZero(ensure(claim, "spec"), "volumeMode", "Filesystem")
	}
	PodSpec(ensure(ensure(spec, "template"), "spec"))
}

// HorizontalPodAutoscaler defaults an autoscaling/v2 autoscaler:
// minReplicas 1, an 80% average CPU utilization target when it has no
// metric, and, when it sets a behavior, the default rules and policies
// for what that behavior leaves out.
func HorizontalPodAutoscaler(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	setIfAbsent(spec, "minReplicas", num(1))
	if m, _ := spec["metrics"].([]any); len(m) == 0 {
		spec["metrics"] = []any{map[string]any{
			"type": api.ResourceMetricSourceType,
			"resource": map[string]any{"name": string(api.ResourceCPU),
				"target": map[string]any{"type": api.UtilizationMetricType, "averageUtilization": num(80)}},
		}}
	}
	behavior := child(spec, "behavior")
	if behavior == nil {
		return
	}
	up := ensure(behavior, "scaleUp")
	setIfAbsent(up, "stabilizationWindowSeconds", num(0))
	setIfAbsent(up, "selectPolicy", "Max")
	setIfAbsent(up, "policies", []any{
		map[string]any{"type": "Pods", "value": num(4), "periodSeconds": num(15)},
		map[string]any{"type": "Percent", "value": num(100), "periodSeconds": num(15)},
	})
	down := ensure(behavior, "scaleDown")
	setIfAbsent(down, "stabilizationWindowSeconds", num(300))
	setIfAbsent(down, "selectPolicy", "Max")
	setIfAbsent(down, "policies", []any{
		map[string]any{"type": "Percent", "value": num(100), "periodSeconds": num(15)},
	})
}

// NetworkPolicy defaults a NetworkPolicy: each port's protocol TCP, and
// policyTypes Ingress, plus Egress when it has egress rules.
func NetworkPolicy(obj map[string]any) {
	spec := ensure(obj, "spec")
	if spec == nil {
		return
	}
	for _, dir := range []string{"ingress", "egress"} {
		for _, rule := range objects(spec, dir) {
			for _, p := range objects(rule, "ports") {
				setIfAbsent(p, "protocol", string(api.ProtocolTCP))
			}
		}
	}
	if pt, _ := spec["policyTypes"].([]any); len(pt) == 0 {
		types := []any{"Ingress"}
		if eg, _ := spec["egress"].([]any); len(eg) > 0 {
			types = append(types, "Egress")
		}
		spec["policyTypes"] = types
	}
}

// IngressClass defaults an IngressClass: its parameters' scope Cluster.
func IngressClass(obj map[string]any) {
	setIfAbsent(child(child(obj, "spec"), "parameters"), "scope", "Cluster")
}

// Endpoints defaults core/v1 Endpoints: each port's protocol TCP.
func Endpoints(obj map[string]any) {
	for _, ss := range objects(obj, "subsets") {
		for _, p := range objects(ss, "ports") {
			setIfAbsent(p, "protocol", string(api.ProtocolTCP))
		}
	}
}

// EndpointSlice defaults an EndpointSlice: each port's protocol TCP and
// its name "", as Kubernetes' SetDefaults_EndpointPort.
func EndpointSlice(obj map[string]any) {
	for _, p := range objects(obj, "ports") {
		setIfAbsent(p, "protocol", string(api.ProtocolTCP))
		setIfAbsent(p, "name", "")
	}
}
