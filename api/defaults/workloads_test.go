package defaults

import "testing"

func TestJob(t *testing.T) {
	check(t, Job,
		`{"spec": {"template": {"metadata": {"labels": {"app": "x"}}, "spec": {"restartPolicy": "Never"}}}}`,
		`{"metadata": {"labels": {"app": "x"}}, "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 6,
			"completionMode": "NonIndexed", "suspend": false, "manualSelector": false, "podReplacementPolicy": "TerminatingOrFailed",
			"template": {"metadata": {"labels": {"app": "x"}}, "spec": {`+podDefaults[len(`"restartPolicy": "Always", `):]+`, "restartPolicy": "Never"}}}}`)
	// Parallelism alone leaves completions unset; a per-index limit makes
	// the overall one unbounded; a failure policy replaces failed pods only.
	check(t, Job,
		`{"spec": {"parallelism": 3, "backoffLimitPerIndex": 1, "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]}, "template": {"spec": {}}}}`,
		`{"spec": {"parallelism": 3, "backoffLimitPerIndex": 1, "backoffLimit": 2147483647, "completionMode": "NonIndexed",
			"suspend": false, "manualSelector": false, "podReplacementPolicy": "Failed",
			"podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
			"template": {"spec": {`+podDefaults+`}}}}`)
}

func TestCronJob(t *testing.T) {
	check(t, CronJob,
		`{"spec": {"schedule": "@hourly", "jobTemplate": {"spec": {"template": {"spec": {}}}}}}`,
		`{"spec": {"schedule": "@hourly", "concurrencyPolicy": "Allow", "suspend": false, "successfulJobsHistoryLimit": 3,
			"failedJobsHistoryLimit": 1, "jobTemplate": {"spec": {"template": {"spec": {`+podDefaults+`}}}}}}`)
}

func TestDaemonSetAndStatefulSet(t *testing.T) {
	check(t, DaemonSet, `{"spec": {"template": {"spec": {}}}}`,
		`{"spec": {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
			"revisionHistoryLimit": 10, "template": {"spec": {`+podDefaults+`}}}}`)
	check(t, DaemonSet, `{"spec": {"updateStrategy": {"type": "OnDelete"}, "template": {"spec": {}}}}`,
		`{"spec": {"updateStrategy": {"type": "OnDelete"}, "revisionHistoryLimit": 10, "template": {"spec": {`+podDefaults+`}}}}`)
	check(t, StatefulSet, `{"spec": {"volumeClaimTemplates": [{"spec": {}}], "template": {"spec": {}}}}`,
		`{"spec": {"replicas": 1, "podManagementPolicy": "OrderedReady", "revisionHistoryLimit": 10,
			"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
			"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
			"volumeClaimTemplates": [{"spec": {"volumeMode": "Filesystem"}}], "template": {"spec": {`+podDefaults+`}}}}`)
}

func TestHorizontalPodAutoscaler(t *testing.T) {
	check(t, HorizontalPodAutoscaler, `{"spec": {"maxReplicas": 3}}`,
		`{"spec": {"maxReplicas": 3, "minReplicas": 1, "metrics": [{"type": "Resource",
			"resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}}`)
	check(t, HorizontalPodAutoscaler,
		`{"spec": {"minReplicas": 2, "maxReplicas": 3, "metrics": [{"type": "Pods"}], "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}}}`,
		`{"spec": {"minReplicas": 2, "maxReplicas": 3, "metrics": [{"type": "Pods"}], "behavior": {
			"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
				{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
			"scaleDown": {"stabilizationWindowSeconds": 60, "selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}}}`)
}

func TestNetworkPolicy(t *testing.T) {
	check(t, NetworkPolicy, `{"spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}}`,
		`{"spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53, "protocol": "TCP"}]}], "policyTypes": ["Ingress", "Egress"]}}`)
	check(t, NetworkPolicy, `{"spec": {"podSelector": {}}}`, `{"spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}`)
}

func TestEndpointPorts(t *testing.T) {
	check(t, Endpoints, `{"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]}`,
		`{"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}]}`)
	check(t, EndpointSlice, `{"addressType": "IPv4", "ports": [{"port": 80}]}`,
		`{"addressType": "IPv4", "ports": [{"port": 80, "protocol": "TCP", "name": ""}]}`)
}
