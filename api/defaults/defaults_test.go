package defaults

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func decode(t *testing.T, doc string) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(doc)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", doc, err)
	}
	return m
}

// check applies fn to in and compares the result with want, both JSON;
// then applies fn again to check that defaulting is idempotent.
func check(t *testing.T, fn func(map[string]any), in, want string) {
	t.Helper()
	got := decode(t, in)
	fn(got)
	w := decode(t, want)
	if !reflect.DeepEqual(got, w) {
		b, _ := json.Marshal(got)
		t.Errorf("defaulted:\n got %s\nwant %s", b, want)
	}
	fn(got)
	if !reflect.DeepEqual(got, w) {
		t.Error("defaulting twice changed the object")
	}
}

const podDefaults = `"restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
	"securityContext": {}, "schedulerName": "default-scheduler", "enableServiceLinks": true`

const tolerationDefaults = `"tolerations": [
	{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
	{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]`

const containerDefaults = `"terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"`

func TestPod(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"minimal", `{"metadata": {"name": "a"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}`,
			`{"metadata": {"name": "a"}, "spec": {` + podDefaults + `, ` + tolerationDefaults + `,
				"containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Always", ` + containerDefaults + `}]}}`},
		{"kept values and unknown fields", `{"spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0, "enableServiceLinks": false,
				"futureField": {"x": 1}, "tolerations": [{"operator": "Exists"}],
				"containers": [{"name": "c", "image": "registry:5000/app:v1", "imagePullPolicy": "Never", "futureField": 2}]},
			"status": {"phase": "Running", "qosClass": "Burstable"}}`,
			`{"spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 0, "enableServiceLinks": false,
				"dnsPolicy": "ClusterFirst", "securityContext": {}, "schedulerName": "default-scheduler",
				"futureField": {"x": 1}, "tolerations": [{"operator": "Exists"}],
				"containers": [{"name": "c", "image": "registry:5000/app:v1", "imagePullPolicy": "Never", "futureField": 2, ` + containerDefaults + `}]},
			"status": {"phase": "Running", "qosClass": "Burstable"}}`},
		{"containers", `{"spec": {"hostNetwork": true, "tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists"}],
				"volumes": [{"name": "c", "configMap": {"name": "x"}}, {"name": "h", "hostPath": {"path": "/x"}}],
				"initContainers": [{"name": "i", "image": "busybox:latest"}],
				"containers": [{"name": "c", "image": "app@sha256:abc",
					"ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 81, "protocol": "UDP"}],
					"env": [{"name": "P", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
					"resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
					"livenessProbe": {"httpGet": {"port": 80}},
					"readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5}}]}}`,
			`{"spec": {"hostNetwork": true, ` + podDefaults + `,
				"tolerations": [{"key": "node.kubernetes.io/unreachable", "operator": "Exists"},
					{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
				"volumes": [{"name": "c", "configMap": {"name": "x", "defaultMode": 420}}, {"name": "h", "hostPath": {"path": "/x", "type": ""}}],
				"initContainers": [{"name": "i", "image": "busybox:latest", "imagePullPolicy": "Always", ` + containerDefaults + `}],
				"containers": [{"name": "c", "image": "app@sha256:abc", "imagePullPolicy": "IfNotPresent", ` + containerDefaults + `,
					"ports": [{"containerPort": 80, "hostPort": 80, "protocol": "TCP"}, {"containerPort": 81, "hostPort": 81, "protocol": "UDP"}],
					"env": [{"name": "P", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
					"resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}},
					"livenessProbe": {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
					"readinessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}}]}}`},
		{"guaranteed", `{"spec": {"tolerations": [{"operator": "Exists"}], "containers": [{"name": "c", "image": "a:1", "resources": {"limits": {"cpu": "500m", "memory": 1000000}}}]}}`,
			`{"spec": {` + podDefaults + `, "tolerations": [{"operator": "Exists"}],
				"containers": [{"name": "c", "image": "a:1", "imagePullPolicy": "IfNotPresent", ` + containerDefaults + `,
					"resources": {"limits": {"cpu": "500m", "memory": 1000000}, "requests": {"cpu": "500m", "memory": 1000000}}}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, Pod, tt.in, tt.want) })
	}
}

func TestPullPolicy(t *testing.T) {
	tests := map[string]string{
		"nginx": "Always", "nginx:latest": "Always", "nginx:1.25": "IfNotPresent",
		"localhost:5000/app": "Always", "localhost:5000/app:v2": "IfNotPresent",
		"app@sha256:00": "IfNotPresent", "app:latest@sha256:00": "IfNotPresent",
	}
	for image, want := range tests {
		if got := pullPolicy(image); string(got) != want {
			t.Errorf("pullPolicy(%q) = %s, want %s", image, got, want)
		}
	}
}

func TestDeployment(t *testing.T) {
	tmpl := `"template": {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "a:1"}]}}`
	tmplDefaulted := `"template": {"metadata": {"labels": {"app": "a"}}, "spec": {` + podDefaults + `,
		"containers": [{"name": "c", "image": "a:1", "imagePullPolicy": "IfNotPresent", ` + containerDefaults + `}]}}`
	check(t, Deployment, `{"spec": {`+tmpl+`}}`, `{"spec": {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
		"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}, `+tmplDefaulted+`}}`)
	check(t, Deployment, `{"spec": {"replicas": 0, "revisionHistoryLimit": 2, "strategy": {"type": "Recreate"}, `+tmpl+`}}`,
		`{"spec": {"replicas": 0, "revisionHistoryLimit": 2, "progressDeadlineSeconds": 600, "strategy": {"type": "Recreate"}, `+tmplDefaulted+`}}`)
	check(t, Deployment, `{"spec": {"strategy": {"rollingUpdate": {"maxSurge": 0}}, `+tmpl+`}}`,
		`{"spec": {"replicas": 1, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
		"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}}, `+tmplDefaulted+`}}`)
	check(t, ReplicaSet, `{"spec": {`+tmpl+`}}`, `{"spec": {"replicas": 1, `+tmplDefaulted+`}}`)
}

func TestFloatNumbers(t *testing.T) {
	var m map[string]any // decoded without UseNumber: numbers are float64
	if err := json.Unmarshal([]byte(`{"spec": {"containers": [{"livenessProbe": {"exec": {}, "timeoutSeconds": 0, "periodSeconds": 3}}]}}`), &m); err != nil {
		t.Fatal(err)
	}
	Pod(m)
	p := m["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["livenessProbe"].(map[string]any)
	if p["timeoutSeconds"] != json.Number("1") || p["periodSeconds"] != 3.0 {
		t.Errorf("probe = %v", p)
	}
}

func TestNamespaceNode(t *testing.T) {
	check(t, Namespace, `{"metadata": {"name": "a"}}`, `{"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}`)
	check(t, Namespace, `{"spec": {"finalizers": []}}`, `{"spec": {"finalizers": []}, "status": {"phase": "Active"}}`)
	check(t, Namespace, `{"metadata": {"deletionTimestamp": "2025-01-01T00:00:00Z"}, "status": {"phase": "Terminating"}}`,
		`{"metadata": {"deletionTimestamp": "2025-01-01T00:00:00Z"}, "status": {"phase": "Terminating"}}`)
	check(t, Node, `{"status": {"capacity": {"cpu": "4"}}}`, `{"status": {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "4"}}}`)
	check(t, Node, `{"status": {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "3"}}}`, `{"status": {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "3"}}}`)
	check(t, Node, `{"metadata": {"name": "n"}}`, `{"metadata": {"name": "n"}}`)
}

func TestMalformed(t *testing.T) {
	// Fields of unexpected types are left for validation to report.
	check(t, Pod, `{"spec": {"containers": "x", "tolerations": 3}, "status": 1}`, `{"spec": {`+podDefaults+`, "containers": "x", "tolerations": 3}, "status": 1}`)
	check(t, Deployment, `{"spec": 5}`, `{"spec": 5}`)
}
