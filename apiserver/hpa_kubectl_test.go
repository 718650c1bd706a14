package apiserver_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestKubectlHPAVersions drives the autoscaling/v1 and v2 forms of one
// HorizontalPodAutoscaler with the real kubectl: kubectl autoscale, the
// table, reads at both versions, an update at v1 that keeps what only v2
// says (the annotation round trip), validation and explain at v1, watch at
// v1, and discovery.
func TestKubectlHPAVersions(t *testing.T) {
	t.Parallel()
	k := newKubectlRun(t)
	k.match("api-versions", k.ok("api-versions"), `(?m)^autoscaling/v1$`, `(?m)^autoscaling/v2$`)
	k.match("group", k.ok("get", "--raw", "/apis/autoscaling"), `"preferredVersion":\{"groupVersion":"autoscaling/v2"`)
	k.ok("create", "deployment", "web", "--image=nginx")
	out := k.ok("autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=80", "-v=8")
	// kubectl 1.32 creates it at autoscaling/v1, with a protobuf body.
	k.match("autoscale", out, `POST \S+/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers\?`,
		`Content-Type: application/vnd.kubernetes.protobuf`, `horizontalpodautoscaler.autoscaling/web autoscaled`)
	k.match("get hpa", k.ok("get", "hpa"), `(?m)^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$`,
		`(?m)^web\s+Deployment/web\s+cpu: <unknown>/80%\s+2\s+5\s+0\s+`)
	k.match("get hpa at v1", k.ok("get", "horizontalpodautoscalers.v1.autoscaling"),
		`(?m)^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$`, `(?m)^web\s+Deployment/web\s+cpu: <unknown>/80%\s+2\s+5\s+0\s+`)

	var v1 map[string]any
	k.json(&v1, "horizontalpodautoscalers.v1.autoscaling", "web")
	spec, _ := v1["spec"].(map[string]any)
	if v1["apiVersion"] != "autoscaling/v1" || spec["targetCPUUtilizationPercentage"] != 80.0 || spec["minReplicas"] != 2.0 || spec["metrics"] != nil {
		t.Fatalf("v1 object: %v", v1)
	}
	var v2 struct {
		APIVersion string `json:"apiVersion"`
		Spec       struct {
			Metrics []map[string]any `json:"metrics"`
		} `json:"spec"`
	}
	k.json(&v2, "horizontalpodautoscalers.v2.autoscaling", "web")
	if b, _ := json.Marshal(v2.Spec.Metrics); v2.APIVersion != "autoscaling/v2" ||
		string(b) != `[{"resource":{"name":"cpu","target":{"averageUtilization":80,"type":"Utilization"}},"type":"Resource"}]` {
		t.Fatalf("v2 object: %+v", v2)
	}

	// Lists and watches at v1 carry v1 objects.
	k.match("list at v1", k.ok("get", "--raw", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers"),
		`^\{"apiVersion":"autoscaling/v1","items":\[\{"apiVersion":"autoscaling/v1"`, `"kind":"HorizontalPodAutoscalerList"`,
		`"targetCPUUtilizationPercentage":80`)
	watch := k.ok("get", "--raw", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers?watch=1&timeoutSeconds=1")
	k.match("watch at v1", watch, `"type":"ADDED","object":\{"apiVersion":"autoscaling/v1"`, `"targetCPUUtilizationPercentage":80`)
	if strings.Contains(watch, `"metrics"`) {
		t.Fatalf("watch at v1 has v2 fields: %s", watch)
	}
	k.match("openapi v1", k.ok("get", "--raw", "/openapi/v3/apis/autoscaling/v1"),
		`"io.k8s.api.autoscaling.v1.HorizontalPodAutoscalerSpec":\{`, `"targetCPUUtilizationPercentage":\{`)

	// A metric and a behavior only v2 can say survive an update at v1
	// (carried in annotations), as on Kubernetes.
	k.ok("patch", "horizontalpodautoscalers.v2.autoscaling", "web", "--type=merge", "-p",
		`{"spec":{"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}},`+
			`{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}],`+
			`"behavior":{"scaleDown":{"stabilizationWindowSeconds":60}}}}`)
	out = k.ok("get", "horizontalpodautoscalers.v1.autoscaling", "web", "-o", "json")
	k.match("v1 annotations", out, `autoscaling.alpha.kubernetes.io/metrics`, `autoscaling.alpha.kubernetes.io/behavior`)
	updated := strings.Replace(out, `"maxReplicas": 5`, `"maxReplicas": 7`, 1)
	k.match("replace at v1", k.ok("replace", "-f", k.file("hpa-v1.json", updated)), `horizontalpodautoscaler.autoscaling/web replaced`)
	k.match("get hpa after v1 update", k.ok("get", "hpa", "web"), `(?m)^web\s+Deployment/web\s+cpu: <unknown>/80%, memory: <unknown>/100Mi\s+2\s+7\s+`)
	var after struct {
		Metadata struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			MaxReplicas int              `json:"maxReplicas"`
			Metrics     []map[string]any `json:"metrics"`
			Behavior    struct {
				ScaleDown struct {
					Window int `json:"stabilizationWindowSeconds"`
				} `json:"scaleDown"`
			} `json:"behavior"`
		} `json:"spec"`
	}
	k.json(&after, "horizontalpodautoscalers.v2.autoscaling", "web")
	if after.Spec.MaxReplicas != 7 || len(after.Spec.Metrics) != 2 || after.Spec.Behavior.ScaleDown.Window != 60 || len(after.Metadata.Annotations) != 0 {
		t.Fatalf("v2 after an update at v1: %+v", after)
	}

	// A /status write at v1: the CPU reading becomes v2's current metric.
	k.ok("patch", "horizontalpodautoscalers.v1.autoscaling", "web", "--subresource=status", "--type=merge", "-p",
		`{"status":{"currentReplicas":2,"desiredReplicas":2,"currentCPUUtilizationPercentage":40}}`)
	k.match("get hpa after a v1 status write", k.ok("get", "hpa", "web"), `(?m)^web\s+Deployment/web\s+cpu: 40%/80%, memory: <unknown>/100Mi\s+2\s+7\s+2\s+`)

	// Validation at v1 is v2's, on the converted object.
	k.invalid("v1 bounds", []string{"patch", "horizontalpodautoscalers.v1.autoscaling", "web", "--type=merge", "-p", `{"spec":{"minReplicas":9}}`},
		`spec.maxReplicas`)
	k.match("explain v1", k.ok("explain", "horizontalpodautoscalers.spec", "--api-version=autoscaling/v1"),
		`targetCPUUtilizationPercentage\s+<integer>`, `maxReplicas\s+<integer> -required-`)
	k.match("delete at v1", k.ok("delete", "horizontalpodautoscalers.v1.autoscaling", "web"), `horizontalpodautoscaler.autoscaling "web" deleted`)
}
