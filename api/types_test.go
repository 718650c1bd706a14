package api

import (
	"encoding/json"
	"reflect"
	"testing"
)

// roundTrip decodes doc into T, encodes it again, and fails unless the
// result equals doc: every field name of doc is known to T.
func roundTrip[T any](t *testing.T, doc string) {
	t.Helper()
	var obj T
	if err := json.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatalf("decode: %v", err)
	}
	b, err := json.Marshal(&obj)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(doc), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("round trip of %T changed the document:\n got %s\nwant %s", obj, b, doc)
	}
}

// The documents are shaped like what a Kubernetes API server returns.
func TestPodJSON(t *testing.T) {
	roundTrip[Pod](t, `{
	"apiVersion": "v1", "kind": "Pod",
	"metadata": {"name": "web-1", "namespace": "default", "uid": "u1", "resourceVersion": "7",
		"creationTimestamp": "2024-01-02T03:04:05Z", "labels": {"app": "web"},
		"ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u0", "controller": true, "blockOwnerDeletion": true}]},
	"spec": {
		"volumes": [{"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}, {"name": "cfg", "configMap": {"name": "c", "defaultMode": 420}}],
		"containers": [{
			"name": "nginx", "image": "nginx:1.25", "command": ["nginx"], "args": ["-g", "daemon off;"],
			"ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
			"env": [{"name": "A", "value": "1"}, {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
			"resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m", "memory": "64Mi"}},
			"volumeMounts": [{"name": "data", "mountPath": "/data"}],
			"livenessProbe": {"httpGet": {"path": "/", "port": 80, "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
			"readinessProbe": {"tcpSocket": {"port": "http"}, "initialDelaySeconds": 2, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
			"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
			"imagePullPolicy": "IfNotPresent", "securityContext": {"privileged": false}
		}],
		"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
		"nodeSelector": {"disk": "ssd"}, "serviceAccountName": "default", "serviceAccount": "default",
		"nodeName": "node-1", "securityContext": {}, "schedulerName": "default-scheduler",
		"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
		"tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
		"priority": 0, "enableServiceLinks": true, "preemptionPolicy": "PreemptLowerPriority"
	},
	"status": {
		"phase": "Running",
		"conditions": [{"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": "2024-01-02T03:04:09Z"}],
		"hostIP": "10.0.0.1", "hostIPs": [{"ip": "10.0.0.1"}], "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}],
		"startTime": "2024-01-02T03:04:06Z",
		"containerStatuses": [{
			"name": "nginx", "state": {"running": {"startedAt": "2024-01-02T03:04:07Z"}},
			"lastState": {"terminated": {"exitCode": 137, "reason": "Error", "startedAt": "2024-01-02T03:00:00Z", "finishedAt": "2024-01-02T03:04:00Z", "containerID": "docker://abc"}},
			"ready": true, "restartCount": 1, "image": "nginx:1.25", "imageID": "docker-pullable://nginx@sha256:1", "containerID": "docker://def", "started": true
		}],
		"qosClass": "Burstable"
	}}`)
}

func TestNodeJSON(t *testing.T) {
	roundTrip[Node](t, `{
	"apiVersion": "v1", "kind": "Node",
	"metadata": {"name": "node-1", "creationTimestamp": "2024-01-02T03:04:05Z"},
	"spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"], "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
	"status": {
		"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
		"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"},
		"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": "2024-01-02T03:04:05Z", "lastTransitionTime": "2024-01-02T03:04:05Z", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
		"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}, {"type": "Hostname", "address": "node-1"}],
		"daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
		"nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1", "osImage": "Debian", "containerRuntimeVersion": "docker://27", "kubeletVersion": "v1.32.0", "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": "amd64"},
		"images": [{"names": ["nginx:1.25"], "sizeBytes": 1000}]
	}}`)
}

func TestAppsJSON(t *testing.T) {
	roundTrip[Deployment](t, `{
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "web", "namespace": "default", "generation": 2, "creationTimestamp": null},
	"spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]},
		"template": {"metadata": {"creationTimestamp": null, "labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx", "resources": {}}]}},
		"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
		"revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
	"status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
		"conditions": [{"type": "Available", "status": "True", "lastUpdateTime": "2024-01-02T03:04:05Z", "lastTransitionTime": "2024-01-02T03:04:05Z", "reason": "MinimumReplicasAvailable", "message": "ok"}]}}`)
	roundTrip[ReplicaSet](t, `{
	"metadata": {"name": "web-5d4f", "creationTimestamp": null},
	"spec": {"replicas": 0, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"creationTimestamp": null}, "spec": {"containers": []}}},
	"status": {"replicas": 0, "observedGeneration": 1}}`)
	roundTrip[Scale](t, `{"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web", "creationTimestamp": null}, "spec": {"replicas": 2}, "status": {"replicas": 3, "selector": "app=web"}}`)
}

func TestEventLeaseJSON(t *testing.T) {
	roundTrip[Event](t, `{
	"metadata": {"name": "web-1.17a", "namespace": "default", "creationTimestamp": null},
	"involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-1", "uid": "u1", "apiVersion": "v1"},
	"reason": "Scheduled", "message": "Successfully assigned default/web-1 to node-1",
	"source": {"component": "default-scheduler"}, "firstTimestamp": null, "lastTimestamp": null,
	"type": "Normal", "eventTime": "2024-01-02T03:04:05.123456Z", "action": "Binding",
	"reportingComponent": "default-scheduler", "reportingInstance": "sched-1"}`)
	roundTrip[Lease](t, `{
	"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
	"metadata": {"name": "kube-scheduler", "namespace": "kube-system", "creationTimestamp": null},
	"spec": {"holderIdentity": "a", "leaseDurationSeconds": 15, "acquireTime": "2024-01-02T03:04:05.000000Z", "renewTime": "2024-01-02T03:04:07.500000Z", "leaseTransitions": 2}}`)
	roundTrip[PodList](t, `{"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "9"}, "items": []}`)
}

func TestLabelSelector(t *testing.T) {
	sel := &LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []LabelSelectorRequirement{
			{Key: "tier", Operator: LabelSelectorOpIn, Values: []string{"front", "back"}},
			{Key: "env", Operator: LabelSelectorOpNotIn, Values: []string{"prod"}},
			{Key: "team", Operator: LabelSelectorOpExists},
			{Key: "legacy", Operator: LabelSelectorOpDoesNotExist},
		},
	}
	tests := []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"app": "web", "tier": "front", "team": "x"}, true},
		{map[string]string{"app": "web", "tier": "back", "team": "x", "env": "dev"}, true},
		{map[string]string{"app": "db", "tier": "front", "team": "x"}, false},
		{map[string]string{"app": "web", "tier": "mid", "team": "x"}, false},
		{map[string]string{"app": "web", "tier": "front", "team": "x", "env": "prod"}, false},
		{map[string]string{"app": "web", "tier": "front"}, false},
		{map[string]string{"app": "web", "tier": "front", "team": "x", "legacy": ""}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got, err := sel.Matches(tt.labels); err != nil || got != tt.want {
			t.Errorf("Matches(%v) = %v, %v; want %v", tt.labels, got, err, tt.want)
		}
	}
	if got := sel.String(); got != "app=web,env notin (prod),!legacy,team,tier in (back,front)" {
		t.Errorf("String() = %q", got)
	}
	if ok, _ := (&LabelSelector{}).Matches(map[string]string{"a": "b"}); !ok {
		t.Error("empty selector does not match everything")
	}
	if ok, _ := (*LabelSelector)(nil).Matches(map[string]string{"a": "b"}); ok {
		t.Error("nil selector matches")
	}
	bad := &LabelSelector{MatchExpressions: []LabelSelectorRequirement{{Key: "a", Operator: "Gt", Values: []string{"1"}}}}
	if _, err := bad.Matches(nil); err == nil {
		t.Error("unknown operator: no error")
	}
}
