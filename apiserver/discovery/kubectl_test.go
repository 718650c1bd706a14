package discovery

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/internal/testsvc"
)

const kubectlPath = "/usr/bin/kubectl"

// recorded is a request the test server received outside discovery.
type recorded struct {
	method, path, query, contentType string
	body                             []byte
}

// testServer serves the discovery handlers the way the API server mounts
// them, plus a fake pods endpoint: GET answers objects[name] or 404, and
// writes are recorded and echoed back.
type testServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	objects  map[string]string           // object name → JSON served by GET
	lists    map[string][]map[string]any // resource → items served as a Table
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	h, err := New(registry.All())
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{objects: map[string]string{}, lists: map[string][]map[string]any{}}
	e := echo.New()
	h.Register(e)
	e.Any("/api/*", ts.serveAPI(h))
	e.Any("/apis/*", ts.serveAPI(h))
	ts.Server = httptest.NewServer(e)
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) serveAPI(h *Handlers) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodGet && h.Serve(c) {
			return nil
		}
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.requests = append(ts.requests, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"), body})
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		switch r.Method {
		case http.MethodGet:
			if items, ok := ts.lists[name]; ok {
				res := resourceByName(name)
				if strings.Contains(r.Header.Get("Accept"), "as=Table") {
					return c.JSON(http.StatusOK, res.Table(items, r.URL.Query().Get("includeObject"), "7", tableNow))
				}
				return c.JSON(http.StatusOK, map[string]any{"kind": res.Kind + "List", "apiVersion": res.GroupVersion(),
					"metadata": map[string]any{"resourceVersion": "7"}, "items": items})
			}
			if obj, ok := ts.objects[name]; ok {
				return c.JSONBlob(http.StatusOK, []byte(obj))
			}
			return c.JSONBlob(http.StatusNotFound, []byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,`+
				`"details":{"name":"`+name+`","kind":"pods"},"message":"pods \"`+name+`\" not found"}`))
		case http.MethodPost:
			return c.JSONBlob(http.StatusCreated, body)
		case http.MethodPatch:
			return c.JSONBlob(http.StatusOK, []byte(ts.objects[name]))
		}
		return c.NoContent(http.StatusMethodNotAllowed)
	}
}

// tableNow is the time tables are rendered at in these tests.
var tableNow = time.Date(2025, 1, 2, 12, 0, 0, 0, time.UTC)

func resourceByName(name string) *registry.Resource {
	for _, r := range registry.All() {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (ts *testServer) recorded() []recorded {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]recorded(nil), ts.requests...)
}

// kubectl runs the real kubectl against ts with a fresh kubeconfig and
// discovery cache; it fails the test if kubectl fails.
func kubectl(t *testing.T, ts *testServer, args ...string) string {
	t.Helper()
	out, err := runKubectl(t, ts, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func runKubectl(t *testing.T, ts *testServer, args ...string) (string, error) {
	t.Helper()
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Fatalf("the real kubectl is needed: %v", err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kubeconfig")
	kubeconfig := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: %q}}]
users: [{name: test, user: {token: test-token}}]
contexts: [{name: test, context: {cluster: test, user: test, namespace: default}}]
current-context: test
`, ts.URL)
	if err := os.WriteFile(cfg, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kubectlPath, append([]string{"--kubeconfig", cfg, "--cache-dir", filepath.Join(dir, "cache"),
		"--request-timeout", "10s"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "KUBECONFIG=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("timed out")
	}
}

// lines splits output into lines with runs of spaces collapsed.
func lines(out string) []string {
	var ls []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		ls = append(ls, strings.Join(strings.Fields(l), " "))
	}
	return ls
}

func TestKubectlAPIResourcesAndVersions(t *testing.T) {
	testsvc.Slow(t, "the real kubectl")
	ts := newTestServer(t)
	got := lines(kubectl(t, ts, "api-resources"))
	want := []string{
		"NAME SHORTNAMES APIVERSION NAMESPACED KIND",
		"componentstatuses cs v1 false ComponentStatus",
		"configmaps cm v1 true ConfigMap",
		"endpoints ep v1 true Endpoints",
		"events ev v1 true Event",
		"limitranges limits v1 true LimitRange",
		"namespaces ns v1 false Namespace",
		"nodes no v1 false Node",
		"persistentvolumeclaims pvc v1 true PersistentVolumeClaim",
		"persistentvolumes pv v1 false PersistentVolume",
		"pods po v1 true Pod",
		"resourcequotas quota v1 true ResourceQuota",
		"secrets v1 true Secret",
		"serviceaccounts sa v1 true ServiceAccount",
		"services svc v1 true Service",
		"customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition",
		"controllerrevisions apps/v1 true ControllerRevision",
		"daemonsets ds apps/v1 true DaemonSet",
		"deployments deploy apps/v1 true Deployment",
		"replicasets rs apps/v1 true ReplicaSet",
		"statefulsets sts apps/v1 true StatefulSet",
		"selfsubjectreviews authentication.k8s.io/v1 false SelfSubjectReview",
		"localsubjectaccessreviews authorization.k8s.io/v1 true LocalSubjectAccessReview",
		"selfsubjectaccessreviews authorization.k8s.io/v1 false SelfSubjectAccessReview",
		"selfsubjectrulesreviews authorization.k8s.io/v1 false SelfSubjectRulesReview",
		"subjectaccessreviews authorization.k8s.io/v1 false SubjectAccessReview",
		"horizontalpodautoscalers hpa autoscaling/v2 true HorizontalPodAutoscaler",
		"cronjobs cj batch/v1 true CronJob",
		"jobs batch/v1 true Job",
		"leases coordination.k8s.io/v1 true Lease",
		"endpointslices discovery.k8s.io/v1 true EndpointSlice",
		"events ev events.k8s.io/v1 true Event",
		"nodes metrics.k8s.io/v1beta1 false NodeMetrics",
		"pods metrics.k8s.io/v1beta1 true PodMetrics",
		"ingressclasses networking.k8s.io/v1 false IngressClass",
		"ingresses ing networking.k8s.io/v1 true Ingress",
		"networkpolicies netpol networking.k8s.io/v1 true NetworkPolicy",
		"poddisruptionbudgets pdb policy/v1 true PodDisruptionBudget",
		"clusterrolebindings rbac.authorization.k8s.io/v1 false ClusterRoleBinding",
		"clusterroles rbac.authorization.k8s.io/v1 false ClusterRole",
		"rolebindings rbac.authorization.k8s.io/v1 true RoleBinding",
		"roles rbac.authorization.k8s.io/v1 true Role",
		"priorityclasses pc scheduling.k8s.io/v1 false PriorityClass",
		"storageclasses sc storage.k8s.io/v1 false StorageClass",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kubectl api-resources:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = lines(kubectl(t, ts, "api-versions"))
	want = []string{"apiextensions.k8s.io/v1", "apps/v1", "authentication.k8s.io/v1", "authorization.k8s.io/v1", "autoscaling/v1", "autoscaling/v2", "batch/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1", "metrics.k8s.io/v1beta1", "networking.k8s.io/v1", "policy/v1",
		"rbac.authorization.k8s.io/v1", "scheduling.k8s.io/v1", "storage.k8s.io/v1", "v1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kubectl api-versions: %q, want %q", got, want)
	}
	if out := kubectl(t, ts, "api-resources", "--categories", "all", "-o", "name"); strings.Join(lines(out), ",") !=
		"pods,services,daemonsets.apps,deployments.apps,replicasets.apps,statefulsets.apps,horizontalpodautoscalers.autoscaling,cronjobs.batch,jobs.batch" {
		t.Errorf("kubectl api-resources --categories all: %q", out)
	}
}

func TestKubectlVersion(t *testing.T) {
	ts := newTestServer(t)
	out := kubectl(t, ts, "version")
	if !strings.Contains(out, "Server Version: "+GitVersion) || strings.Contains(out, "WARNING") {
		t.Errorf("kubectl version:\n%s", out)
	}
}

func TestKubectlExplain(t *testing.T) {
	testsvc.Slow(t, "the real kubectl, many commands")
	ts := newTestServer(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"pod"}, []string{"KIND: Pod", fieldDescriptions["Pod.spec"], "spec <PodSpec>", "metadata <ObjectMeta>"}},
		{[]string{"pod.spec.containers"}, []string{
			"FIELD: containers <[]Container>", "name <string> -required-", "image <string>",
			"resources <ResourceRequirements>", "ports <[]ContainerPort>",
			"Image is the container image to run",
		}},
		{[]string{"deployment.spec.strategy"}, []string{
			"GROUP: apps", "FIELD: strategy <DeploymentStrategy>", "rollingUpdate <RollingUpdateDeployment>",
			"type <string>", "Defaults to RollingUpdate.",
		}},
		{[]string{"deployment.spec.strategy.rollingUpdate.maxSurge"}, []string{"FIELD: maxSurge <IntOrString>", "rounded up"}},
		{[]string{"node.status.nodeInfo"}, []string{"kubeletVersion <string> -required-"}},
		{[]string{"lease.spec"}, []string{"GROUP: coordination.k8s.io", "holderIdentity <string>", "renewTime <string>"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := strings.Join(lines(kubectl(t, ts, append([]string{"explain"}, tc.args...)...)), "\n")
			for _, w := range tc.want {
				if !strings.Contains(out, strings.Join(strings.Fields(w), " ")) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestKubectlApplyStrict checks that kubectl's default --validate=strict
// finds server-side field validation in the OpenAPI v3 document (it sends
// fieldValidation=Strict rather than validating locally) and that it
// computes strategic merge patches from it.
func TestKubectlApplyStrict(t *testing.T) {
	testsvc.Slow(t, "the real kubectl")
	ts := newTestServer(t)
	manifest := filepath.Join(t.TempDir(), "pod.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: a
    image: nginx
    resources: {limits: {cpu: 1, memory: 64Mi}}
    ports: [{containerPort: 80}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := kubectl(t, ts, "apply", "-f", manifest); strings.TrimSpace(out) != "pod/web created" {
		t.Fatalf("kubectl apply: %s", out)
	}
	reqs := ts.recorded()
	if last := reqs[len(reqs)-1]; last.method != http.MethodPost || !strings.Contains(last.query, "fieldValidation=Strict") {
		t.Errorf("create: %s %s?%s, want a POST with fieldValidation=Strict", last.method, last.path, last.query)
	}

	// Now the pod exists with a second container that the manifest lacks.
	ts.objects["web"] = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default","resourceVersion":"5",` +
		`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":` +
		`"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},` +
		`\"spec\":{\"containers\":[{\"image\":\"nginx:1\",\"name\":\"a\"},{\"image\":\"busybox\",\"name\":\"b\"}]}}"}},` +
		`"spec":{"containers":[{"name":"a","image":"nginx:1"},{"name":"b","image":"busybox"}]}}`
	if out := kubectl(t, ts, "apply", "-f", manifest); strings.TrimSpace(out) != "pod/web configured" {
		t.Fatalf("kubectl apply: %s", out)
	}
	reqs = ts.recorded()
	last := reqs[len(reqs)-1]
	if last.method != http.MethodPatch || last.contentType != "application/strategic-merge-patch+json" ||
		!strings.Contains(last.query, "fieldValidation=Strict") {
		t.Fatalf("update: %s %s?%s %s, want a strategic merge PATCH with fieldValidation=Strict",
			last.method, last.path, last.query, last.contentType)
	}
	for _, want := range []string{`"$setElementOrder/containers":[{"name":"a"}]`, `{"$patch":"delete","name":"b"}`} {
		if !strings.Contains(string(last.body), want) {
			t.Errorf("patch %s lacks %s", last.body, want)
		}
	}
}

// TestKubectlGetTable checks that kubectl prints the server-side tables of
// package registry as it prints Kubernetes'.
func TestKubectlGetTable(t *testing.T) {
	testsvc.Slow(t, "the real kubectl, many commands")
	ts := newTestServer(t)
	ts.lists["pods"] = []map[string]any{{
		"metadata": map[string]any{"name": "web", "namespace": "default", "creationTimestamp": "2025-01-02T11:57:00Z"},
		"spec":     map[string]any{"nodeName": "node-1", "containers": []any{map[string]any{"name": "a"}}},
		"status": map[string]any{"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": []any{map[string]any{
			"name": "a", "ready": true, "restartCount": 1.0, "state": map[string]any{"running": map[string]any{}},
			"lastState": map[string]any{"terminated": map[string]any{"finishedAt": "2025-01-02T11:59:30Z"}},
		}}},
	}}
	ts.lists["nodes"] = []map[string]any{{
		"metadata": map[string]any{"name": "node-1", "creationTimestamp": "2025-01-01T12:00:00Z",
			"labels": map[string]any{"node-role.kubernetes.io/control-plane": ""}},
		"spec": map[string]any{"unschedulable": true},
		"status": map[string]any{
			"conditions": []any{map[string]any{"type": "Ready", "status": "True"}},
			"nodeInfo":   map[string]any{"kubeletVersion": "v1.32.0-minik8s"},
		},
	}}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"get", "pods"}, []string{"NAME READY STATUS RESTARTS AGE", "web 1/1 Running 1 (30s ago) 3m"}},
		{[]string{"get", "pods", "-o", "wide"}, []string{
			"NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES",
			"web 1/1 Running 1 (30s ago) 3m 10.0.0.5 node-1 <none> <none>",
		}},
		{[]string{"get", "nodes"}, []string{
			"NAME STATUS ROLES AGE VERSION",
			"node-1 Ready,SchedulingDisabled control-plane 24h v1.32.0-minik8s",
		}},
		{[]string{"get", "pods", "-o", "name"}, []string{"pod/web"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := lines(kubectl(t, ts, tc.args...))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
