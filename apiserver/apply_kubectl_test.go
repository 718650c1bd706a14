package apiserver_test

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

const ssaDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    team: a
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
`

// revision is the store's current revision, as a list reports it (other
// writers, such as the API server's own endpoints, may move it on).
func revision(k *kubectlRun) string {
	k.t.Helper()
	var l struct {
		Metadata struct{ ResourceVersion string } `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(k.ok("get", "--raw", "/api/v1/namespaces/default/configmaps")), &l); err != nil {
		k.t.Fatal(err)
	}
	return l.Metadata.ResourceVersion
}

// noEvents fails the test if a watch of the collection at path from
// revision rv sees any event.
func noEvents(k *kubectlRun, what, path, rv string) {
	k.t.Helper()
	r := k.s.Do(k.t, "GET", path+"?watch=true&timeoutSeconds=1&resourceVersion="+rv, nil)
	if r.Code != 200 || len(strings.TrimSpace(string(r.Body))) != 0 {
		k.t.Fatalf("%s: watch from %s: %d %s", what, rv, r.Code, r.Body)
	}
}

// diffExit runs kubectl diff and returns its exit code and output.
func diffExit(k *kubectlRun, args ...string) (int, string) {
	k.t.Helper()
	out, err := k.s.Kubectl(k.t, "", append([]string{"diff"}, args...)...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out
	case errors.As(err, &ee):
		return ee.ExitCode(), out
	}
	k.t.Fatalf("kubectl diff: %v", err)
	return -1, ""
}

// TestKubectlServerSideApply drives server-side apply with the real
// kubectl: create and update of a Deployment, managedFields as
// --show-managed-fields prints them, a conflict between two managers and
// --force-conflicts, a field a manager stops applying, the migration from
// client-side apply, and a custom resource merged by its schema's list
// types.
func TestKubectlServerSideApply(t *testing.T) {
	t.Parallel()
	k := newKubectlRun(t)
	f := k.file("deploy.yaml", ssaDeployment)
	k.match("create", k.ok("apply", "--server-side", "-f", f), `deployment.apps/web serverside-applied`)
	k.match("managed fields", k.ok("get", "deployment", "web", "-o", "yaml", "--show-managed-fields"),
		`manager: kubectl\n`, `operation: Apply`, `fieldsType: FieldsV1`, `f:replicas: \{\}`,
		`k:\{"name":"web"\}:`, `k:\{"containerPort":80,"protocol":"TCP"\}:`)
	if out := k.ok("get", "deployment", "web", "-o", "yaml"); strings.Contains(out, "managedFields") {
		t.Fatalf("managedFields shown without --show-managed-fields:\n%s", out)
	}
	// The controller's status writes are its own.
	// A no-op apply writes nothing.
	before := revision(k)
	k.ok("apply", "--server-side", "-f", f)
	noEvents(k, "a no-op apply", "/apis/apps/v1/namespaces/default/deployments", before)
	// Update: a new image.
	f = k.file("deploy.yaml", strings.Replace(ssaDeployment, "nginx:1.27", "nginx:1.28", 1))
	k.match("update", k.ok("apply", "--server-side", "-f", f), `deployment.apps/web serverside-applied`)
	k.match("image", k.ok("get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"), `^nginx:1.28$`)
	// That one did write, as the same watch shows.
	if r := k.s.Do(t, "GET", "/apis/apps/v1/namespaces/default/deployments?watch=true&timeoutSeconds=1&resourceVersion="+before, nil); !strings.Contains(string(r.Body), `"type":"MODIFIED"`) {
		t.Fatalf("no MODIFIED event after a changing apply: %d %s", r.Code, r.Body)
	}

	// Another manager changing replicas conflicts with kubectl's.
	other := k.file("other.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 5
`)
	out, err := k.s.Kubectl(t, "", "apply", "--server-side", "--field-manager=autoscaler", "-f", other)
	if err == nil {
		t.Fatalf("conflicting apply succeeded:\n%s", out)
	}
	k.match("conflict", out, `Apply failed with 1 conflict: conflict with "kubectl": \.spec\.replicas`, `--force-conflicts`)
	k.ok("apply", "--server-side", "--field-manager=autoscaler", "--force-conflicts", "-f", other)
	k.match("forced", k.ok("get", "deployment", "web", "-o", "jsonpath={.spec.replicas}"), `^5$`)
	k.match("owners", k.ok("get", "deployment", "web", "-o", "yaml", "--show-managed-fields"), `manager: autoscaler`)

	// kubectl stops applying its label (and replicas, now autoscaler's):
	// the label goes, replicas stay.
	noLabel := strings.Replace(strings.Replace(ssaDeployment, "nginx:1.27", "nginx:1.28", 1), "  labels:\n    team: a\n", "", 1)
	noLabel = strings.Replace(noLabel, "  replicas: 2\n", "", 1)
	k.ok("apply", "--server-side", "-f", k.file("deploy.yaml", noLabel))
	k.match("removed", k.ok("get", "deployment", "web", "-o", "jsonpath={.metadata.labels}|{.spec.replicas}"), `^\|5$`)

	// An update by kubectl scale is recorded as an Update.
	k.ok("scale", "deployment", "web", "--replicas=4")
	k.match("scale manager", k.ok("get", "deployment", "web", "-o", "yaml", "--show-managed-fields"),
		`manager: kubectl\S*\n\s+operation: Update\n\s+subresource: scale`)

	// Client-side apply, then server-side apply of a changed manifest:
	// kubectl takes over what its client-side apply set, without conflicts.
	cm := `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: "1"
  b: "2"
`
	cmf := k.file("cm.yaml", cm)
	k.match("csa", k.ok("apply", "-f", cmf), `configmap/settings created`)
	k.match("csa managers", k.ok("get", "cm", "settings", "-o", "yaml", "--show-managed-fields"),
		`manager: kubectl-client-side-apply`, `operation: Update`)
	k.ok("apply", "--server-side", "-f", k.file("cm.yaml", strings.Replace(cm, `a: "1"`, `a: "10"`, 1)))
	k.match("migrated", k.ok("get", "cm", "settings", "-o", "jsonpath={.data.a}"), `^10$`)
	// Ownership moved: leaving b out now removes it.
	k.ok("apply", "--server-side", "-f", k.file("cm.yaml", strings.Replace(strings.Replace(cm, `a: "1"`, `a: "10"`, 1), "  b: \"2\"\n", "", 1)))
	k.match("b removed", k.ok("get", "cm", "settings", "-o", "jsonpath={.data}"), `^\{"a":"10"\}$`)

	// A custom resource whose list is a map keyed by name.
	crd := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: routes.ssa.example.com
spec:
  group: ssa.example.com
  scope: Namespaced
  names: {plural: routes, singular: route, kind: Route}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              host: {type: string}
              backends:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties:
                    name: {type: string}
                    weight: {type: integer}
`
	k.ok("apply", "-f", k.file("crd.yaml", crd))
	k.ok("wait", "--for=condition=Established", "--timeout=10s", "crd/routes.ssa.example.com")
	route := `apiVersion: ssa.example.com/v1
kind: Route
metadata:
  name: r
spec:
  host: example.com
  backends:
  - name: a
    weight: 1
`
	k.match("cr create", k.ok("apply", "--server-side", "-f", k.file("route.yaml", route)), `route.ssa.example.com/r serverside-applied`)
	// A second manager adds its own backend; the list merges by name.
	k.ok("apply", "--server-side", "--field-manager=team-b", "-f", k.file("route-b.yaml", `apiVersion: ssa.example.com/v1
kind: Route
metadata:
  name: r
spec:
  backends:
  - name: b
    weight: 2
`))
	k.ok("apply", "--server-side", "-f", k.file("route.yaml", strings.Replace(route, "weight: 1", "weight: 3", 1)))
	k.match("cr merged", k.ok("get", "route", "r", "-o", "jsonpath={range .spec.backends[*]}{.name}={.weight},{end}"), `^a=3,b=2,$`)
	k.match("cr managers", k.ok("get", "route", "r", "-o", "yaml", "--show-managed-fields"),
		`manager: team-b`, `k:\{"name":"b"\}`)
}

// TestKubectlDryRunAndDiff checks kubectl diff's exit codes and that every
// --dry-run=server verb answers as if it wrote, and writes nothing: no
// revision is used (so no watch event), no object, no cluster IP or node
// port kept.
func TestKubectlDryRunAndDiff(t *testing.T) {
	t.Parallel()
	k := newKubectlRun(t)
	f := k.file("deploy.yaml", ssaDeployment)
	before := revision(k)
	k.match("create dry run", k.ok("create", "--dry-run=server", "-f", f), `deployment.apps/web created \(server dry run\)`)
	k.match("apply dry run", k.ok("apply", "--dry-run=server", "-f", f), `deployment.apps/web created \(server dry run\)`)
	k.match("ssa dry run", k.ok("apply", "--server-side", "--dry-run=server", "-f", f), `deployment.apps/web serverside-applied \(server dry run\)`)
	svc := k.file("svc.yaml", `apiVersion: v1
kind: Service
metadata:
  name: np
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - port: 80
    nodePort: 30080
`)
	k.match("service dry run", k.ok("create", "--dry-run=server", "-f", svc, "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}"), `^\d+\.\d+\.\d+\.\d+ 30080$`)
	noEvents(k, "first dry runs", "/apis/apps/v1/namespaces/default/deployments", before)
	noEvents(k, "first dry runs", "/api/v1/namespaces/default/services", before)
	if out, err := k.s.Kubectl(t, "", "get", "deployment", "web"); err == nil {
		t.Fatalf("a dry run created the deployment:\n%s", out)
	}
	// The node port was not kept: a real create can take it.
	k.ok("create", "-f", svc)

	// diff: 1 with a diff for a new object, 0 once it is there unchanged,
	// 1 again for a change.
	if code, out := diffExit(k, "-f", f); code != 1 || !strings.Contains(out, "+  replicas: 2") {
		t.Fatalf("diff of a new object: exit %d\n%s", code, out)
	}
	k.ok("apply", "-f", f)
	if code, out := diffExit(k, "-f", f); code != 0 {
		t.Fatalf("diff of an unchanged object: exit %d\n%s", code, out)
	}
	// The same with server-side apply, on an object it applied (on one
	// kubectl apply made, kubectl's server-side apply rewrites the
	// last-applied annotation, as in Kubernetes).
	cm := k.file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\n")
	k.ok("apply", "--server-side", "-f", cm)
	if code, out := diffExit(k, "--server-side", "-f", cm); code != 0 {
		t.Fatalf("server-side diff of an unchanged object: exit %d\n%s", code, out)
	}
	cm2 := k.file("cm2.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"2\"\n")
	if code, out := diffExit(k, "--server-side", "-f", cm2); code != 1 || !strings.Contains(out, `+  a: "2"`) {
		t.Fatalf("server-side diff of a change: exit %d\n%s", code, out)
	}
	changed := k.file("deploy2.yaml", strings.Replace(ssaDeployment, "replicas: 2", "replicas: 3", 1))
	if code, out := diffExit(k, "-f", changed); code != 1 || !strings.Contains(out, "-  replicas: 2") || !strings.Contains(out, "+  replicas: 3") {
		t.Fatalf("diff of a change: exit %d\n%s", code, out)
	}

	before = revision(k)
	k.match("apply dry run", k.ok("apply", "--dry-run=server", "-f", changed), `deployment.apps/web configured \(server dry run\)`)
	k.match("ssa dry run", k.ok("apply", "--server-side", "--force-conflicts", "--dry-run=server", "-f", changed), `serverside-applied \(server dry run\)`)
	k.match("scale dry run", k.ok("scale", "--dry-run=server", "deployment/web", "--replicas=7"), `deployment.apps/web scaled \(server dry run\)`)
	k.ok("patch", "--dry-run=server", "deployment", "web", "--type=merge", "-p", `{"spec":{"paused":true}}`)
	k.ok("patch", "--dry-run=server", "deployment", "web", "--type=json", "-p", `[{"op":"replace","path":"/spec/replicas","value":9}]`)
	k.ok("patch", "--dry-run=server", "deployment", "web", "--subresource=status", "--type=merge", "-p", `{"status":{"replicas":9}}`)
	k.ok("label", "--dry-run=server", "deployment", "web", "x=y")
	k.ok("replace", "--dry-run=server", "-f", changed)
	k.match("delete dry run", k.ok("delete", "--dry-run=server", "deployment", "web"), `deployment.apps "web" deleted \(server dry run\)`)
	k.ok("delete", "--dry-run=server", "deployments", "--all")
	k.ok("delete", "--dry-run=server", "service", "np")
	noEvents(k, "dry runs", "/apis/apps/v1/namespaces/default/deployments", before)
	noEvents(k, "dry runs", "/api/v1/namespaces/default/services", before)
	k.match("unchanged", k.ok("get", "deployment", "web", "-o", "jsonpath={.spec.replicas} {.spec.paused} {.metadata.labels.x}"), `^2  $`)
	k.ok("get", "service", "np")
}
