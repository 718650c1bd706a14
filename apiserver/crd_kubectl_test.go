package apiserver_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// crontab is a custom resource of testdata/crontab-crd.yaml.
const crontab = `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: nightly
  labels: {tier: batch}
spec:
  cronSpec: "0 3 * * *"
  image: backup:1
  color: blue
  bogus: dropped
`

// kubectlRunner returns helpers that run the real kubectl against s: ok
// fails the test on an error, fails on a success; want checks that the
// output matches every regular expression.
func kubectlRunner(t *testing.T, s *testenv.APIServer) (ok, fails func(stdin string, args ...string) string, want func(out string, res ...string)) {
	ok = func(stdin string, args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, stdin, args...)
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	fails = func(stdin string, args ...string) string {
		t.Helper()
		out, err := s.Kubectl(t, stdin, args...)
		if err == nil {
			t.Fatalf("kubectl %s succeeded:\n%s", strings.Join(args, " "), out)
		}
		return out
	}
	want = func(out string, res ...string) {
		t.Helper()
		for _, re := range res {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Fatalf("output lacks %q:\n%s", re, out)
			}
		}
	}
	return ok, fails, want
}

func applyCronTabCRD(t *testing.T, ok func(string, ...string) string) {
	t.Helper()
	crd, err := filepath.Abs(filepath.Join("testdata", "crontab-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ok("", "apply", "-f", crd)
	ok("", "wait", "--for=condition=Established", "--timeout=10s", "crd/crontabs.stable.example.com")
}

// TestCRDKubectl drives a CustomResourceDefinition and its custom
// resources with the real kubectl: pruning, printer columns, selectors,
// the status and scale subresources, several versions, explain, edit and
// patch, and deleting the CRD with its objects.
func TestCRDKubectl(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "the real kubectl, many commands")
	s := testenv.StartAPIServer(t, testenv.Options{})
	ok, fails, want := kubectlRunner(t, s)
	applyCronTabCRD(t, ok)
	want(ok("", "get", "crd"), `crontabs.stable.example.com\s+\d{4}-`)
	want(ok("", "get", "crd", "crontabs.stable.example.com", "-o", "yaml"),
		`type: NamesAccepted`, `type: Established`, `storedVersions:\n  - v1`,
		`- customresourcecleanup.apiextensions.k8s.io`)
	want(ok("", "api-resources", "--api-group=stable.example.com"),
		`crontabs\s+ct\s+stable.example.com/v1\s+true\s+CronTab`)

	// kubectl's field validation is Strict: the unknown field is refused,
	// as Kubernetes does; without validation it is pruned.
	want(fails(crontab, "apply", "-f", "-"), `strict decoding error: unknown field "spec.bogus"`)
	want(ok(crontab, "apply", "--validate=false", "-f", "-"), `crontab.stable.example.com/nightly created`)
	out := ok("", "get", "crontab", "nightly", "-o", "yaml")
	if strings.Contains(out, "bogus: dropped") {
		t.Fatalf("unknown field not pruned:\n%s", out)
	}
	want(out, `apiVersion: stable.example.com/v1\n`, `cronSpec: 0 3 \* \* \*`, `generation: 1`,
		`replicas: 1\n`) // the schema's default

	// Printer columns, short name, category, selectors.
	want(ok("", "get", "ct"), `NAME\s+SPEC\s+REPLICAS\s+AGE`, `nightly\s+0 3 \* \* \*\s+`)
	want(ok("", "get", "all"), `crontab.stable.example.com/nightly`)
	want(ok("", "get", "ct", "-l", "tier=batch", "-o", "name"), `crontab.stable.example.com/nightly`)
	want(ok("", "get", "ct", "-l", "tier=web"), `No resources found`)
	want(ok("", "get", "ct", "--field-selector", "spec.color=blue", "-o", "name"), `nightly`)
	want(ok("", "get", "ct", "--field-selector", "spec.color=red"), `No resources found`)
	want(ok("", "get", "ct", "--field-selector", "metadata.name=nightly", "-o", "name"), `nightly`)
	want(fails("", "get", "ct", "--field-selector", "spec.image=x"), `"spec.image" is not a known field selector: only "metadata.name, metadata.namespace, spec.color"`)
	want(ok("", "describe", "crontab", "nightly"), `Name:\s+nightly`, `Kind:\s+CronTab`, `Cron Spec:\s+0 3`)

	// Patches: merge and JSON; a strategic merge is refused with 415.
	want(ok("", "patch", "ct", "nightly", "--type=merge", "-p", `{"spec":{"color":"green"}}`), `patched`)
	want(ok("", "patch", "ct", "nightly", "--type=json", "-p", `[{"op":"replace","path":"/spec/image","value":"backup:2"}]`), `patched`)
	want(fails("", "patch", "ct", "nightly", "-p", `{"spec":{"color":"red"}}`), `unknown format`)
	want(ok("", "get", "ct", "nightly", "-o", "yaml"), `color: green`, `image: backup:2`, `generation: 3`)

	// Edit.
	editor := filepath.Join(t.TempDir(), "editor")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/image: backup:2/image: backup:3/' \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.Editor = editor
	want(ok("", "edit", "ct", "nightly"), `edited`)
	want(ok("", "get", "ct", "nightly", "-o", "jsonpath={.spec.image}"), `^backup:3$`)

	// Status only through /status; a write of the object keeps it.
	ok("", "patch", "ct", "nightly", "--subresource=status", "--type=merge", "-p", `{"status":{"replicas":2,"selector":"tier=batch"}}`)
	ok("", "patch", "ct", "nightly", "--type=merge", "-p", `{"status":{"replicas":9}}`)
	want(ok("", "get", "ct", "nightly", "-o", "jsonpath={.status.replicas}"), `^2$`)
	want(fails("", "patch", "ct", "nightly", "--subresource=status", "--type=merge", "-p", `{"status":{"replicas":"two"}}`),
		`The CronTab "nightly" is invalid: status.replicas: Invalid value: "string": .*must be of type integer: "string"`)

	// Scale.
	want(ok("", "scale", "crontab", "nightly", "--replicas=3"), `scaled`)
	want(ok("", "get", "ct", "nightly", "-o", "jsonpath={.spec.replicas}"), `^3$`)
	want(ok("", "get", "--raw", "/apis/stable.example.com/v1/namespaces/default/crontabs/nightly/scale"),
		`"kind":"Scale"`, `"replicas":3`, `"selector":"tier=batch"`)

	// The other served version: the same object, another apiVersion.
	want(ok("", "get", "crontabs.v1beta1.stable.example.com", "nightly", "-o", "yaml"),
		`apiVersion: stable.example.com/v1beta1\n`, `image: backup:3`)
	want(ok("", "get", "crontabs.v1beta1.stable.example.com", "nightly"), `Warning: stable.example.com/v1beta1 CronTab is deprecated`)
	want(ok("", "get", "--raw", "/apis/stable.example.com/v1beta1/namespaces/default/crontabs?watch=1&timeoutSeconds=1"),
		`(?m)^\{"type":"ADDED","object":\{"apiVersion":"stable.example.com/v1beta1"`)
	// Written at v1beta1, stored (and served at v1) as v1.
	want(ok("apiVersion: stable.example.com/v1beta1\nkind: CronTab\nmetadata: {name: beta}\nspec: {cronSpec: '* * * * *'}\n", "create", "-f", "-"), `created`)
	want(ok("", "get", "ct", "beta", "-o", "yaml"), `apiVersion: stable.example.com/v1\n`, `replicas: 1\n`)
	ok("", "delete", "ct", "beta")

	// kubectl explain reads the OpenAPI v3 document.
	want(ok("", "explain", "crontab.spec"), `cronSpec\s+<string>`, `The schedule, in cron format.`)

	// Bad objects: a bad name, a value of the wrong type are 422s.
	good := strings.Replace(crontab, "  bogus: dropped\n", "", 1)
	bad := strings.Replace(good, "nightly", "Bad_Name", 1)
	want(fails(bad, "apply", "-f", "-"), `is invalid: metadata.name: Invalid value: "Bad_Name"`)
	bad = strings.Replace(good, "nightly", "weekly", 1) + "  replicas: three\n"
	want(fails(bad, "create", "-f", "-"), `The CronTab "weekly" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`)

	// Deleting the CRD deletes its objects first, then stops serving it:
	// an object with a finalizer holds the CRD Terminating, and no new
	// object may be created meanwhile.
	ok("", "patch", "ct", "nightly", "--type=merge", "-p", `{"metadata":{"finalizers":["example.com/hold"]}}`)
	// A watch of the kind ends once its CRD is gone.
	req, err := http.NewRequest("GET", s.URL+"/apis/stable.example.com/v1/crontabs?watch=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	watchEnded := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, resp.Body)
		close(watchEnded)
	}()
	want(ok("", "delete", "crd", "crontabs.stable.example.com", "--wait=false"), `deleted`)
	ok("", "wait", "--for=condition=Terminating", "--timeout=10s", "crd/crontabs.stable.example.com")
	want(ok("", "get", "crd", "crontabs.stable.example.com", "-o", "yaml"), `reason: InstanceDeletionInProgress`, `deletionTimestamp:`)
	want(ok("", "get", "ct", "nightly", "-o", "yaml"), `deletionTimestamp:`)
	want(fails(strings.Replace(good, "nightly", "late", 1), "create", "-f", "-"), `create is not supported on resources of kind "crontabs.stable.example.com"`)
	want(ok("", "describe", "crd", "crontabs.stable.example.com"), `Terminating`)
	ok("", "patch", "ct", "nightly", "--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
	ok("", "wait", "--for=delete", "--timeout=10s", "crd/crontabs.stable.example.com")
	// The API server stops serving the kind once its watch delivers the
	// CRD's deletion, a moment after kubectl saw it.
	deadline := time.Now().Add(10 * time.Second)
	for s.Do(t, "GET", "/apis/stable.example.com/v1/crontabs", nil).Code != 404 {
		if time.Now().After(deadline) {
			t.Fatal("crontabs still served 10s after their CRD was deleted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	want(fails("", "get", "ct"), `the server doesn't have a resource type "ct"|the server could not find the requested resource`)
	select {
	case <-watchEnded:
	case <-time.After(10 * time.Second):
		t.Fatal("a watch of crontabs still open 10s after their CRD was deleted")
	}
	want(fails("", "get", "crd", "crontabs.stable.example.com"), `NotFound`)
	applyCronTabCRD(t, ok)
	want(ok("", "get", "ct"), `No resources found`)
}

// TestCRDBadInput: CRDs that Kubernetes refuses are refused with its
// messages, and a CRD whose names are taken is stored but not served, its
// conditions saying why.
func TestCRDBadInput(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})
	ok, fails, want := kubectlRunner(t, s)
	crd := func(name, group, kind, versions string) string {
		return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ` + name + `
spec:
  group: ` + group + `
  scope: Namespaced
  names: {plural: widgets, kind: ` + kind + `}
  versions:
` + versions
	}
	const schema = `    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
`
	const v1 = "  - name: v1\n    served: true\n    storage: true\n" + schema
	for _, tc := range []struct {
		name, manifest, want string
	}{
		{"name", crd("gadgets.example.com", "example.com", "Widget", v1),
			`metadata.name: Invalid value: "gadgets.example.com": must be spec.names.plural\+"."\+spec.group`},
		{"group", crd("widgets.example", "example", "Widget", v1),
			`spec.group: Invalid value: "example": should be a domain with at least one dot`},
		{"no schema", crd("widgets.example.com", "example.com", "Widget", "  - name: v1\n    served: true\n    storage: true\n"),
			`spec.versions\[0\].schema.openAPIV3Schema: Required value: schemas are required`},
		{"two storage versions", crd("widgets.example.com", "example.com", "Widget", v1+strings.Replace(v1, "name: v1", "name: v2", 1)),
			`spec.versions: Invalid value: .*must have exactly one version marked as storage version`},
		{"not structural", crd("widgets.example.com", "example.com", "Widget", strings.Replace(v1, "size: {type: integer}", "size: {minimum: 1}", 1)),
			`spec.versions\[0\].schema.openAPIV3Schema.properties\[spec\].properties\[size\].type: Required value: must not be empty for specified object fields`},
		{"scope", strings.Replace(crd("widgets.example.com", "example.com", "Widget", v1), "Namespaced", "Galaxy", 1),
			`spec.scope: Unsupported value: "Galaxy": supported values: "Cluster", "Namespaced"`},
		{"conversion webhook", strings.Replace(crd("widgets.example.com", "example.com", "Widget", v1), "  scope:", "  conversion: {strategy: Webhook}\n  scope:", 1),
			`spec.conversion.strategy: Unsupported value: "Webhook": supported values: "None"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(fails(tc.manifest, "apply", "-f", "-"), `CustomResourceDefinition "[a-z.]+" is invalid`, tc.want)
		})
	}

	// A second CRD of the group whose kind is taken: stored, not served.
	ok(crd("widgets.example.com", "example.com", "Widget", v1), "apply", "-f", "-")
	ok("", "wait", "--for=condition=Established", "--timeout=10s", "crd/widgets.example.com")
	second := strings.Replace(crd("gizmos.example.com", "example.com", "Widget", v1), "plural: widgets", "plural: gizmos", 1)
	ok(second, "apply", "-f", "-")
	ok("", "wait", "--for=condition=NamesAccepted=False", "--timeout=10s", "crd/gizmos.example.com")
	want(ok("", "get", "crd", "gizmos.example.com", "-o", "yaml"),
		`message: '"widget" is already in use'\n\s+reason: NameConflict\n\s+status: "False"\n\s+type: NamesAccepted`,
		`reason: NotAccepted\n\s+status: "False"\n\s+type: Established`)
	want(fails("", "get", "--raw", "/apis/example.com/v1/gizmos"), `NotFound`)

	// Custom resources have no protobuf form and no strategic merge patch.
	ok("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 2}\n", "create", "-f", "-")
	r := s.Do(t, "POST", "/apis/example.com/v1/namespaces/default/widgets", "\x6b\x38\x73\x00", "Content-Type", "application/vnd.kubernetes.protobuf")
	if r.Code != 415 || !strings.Contains(string(r.Body), `"reason":"UnsupportedMediaType"`) {
		t.Fatalf("protobuf body: %d %s", r.Code, r.Body)
	}
	r = s.Do(t, "PATCH", "/apis/example.com/v1/namespaces/default/widgets/w", `{"spec":{"size":3}}`, "Content-Type", "application/strategic-merge-patch+json")
	if r.Code != 415 {
		t.Fatalf("strategic merge patch: %d %s", r.Code, r.Body)
	}
	// Invalid values are 422 with the schema's messages.
	r = s.Do(t, "PATCH", "/apis/example.com/v1/namespaces/default/widgets/w", `{"spec":{"size":"big"}}`, "Content-Type", "application/merge-patch+json")
	if r.Code != 422 || !strings.Contains(string(r.Body), `spec.size in body must be of type integer`) {
		t.Fatalf("invalid value: %d %s", r.Code, r.Body)
	}
}

// TestCRDTwoAPIServers: a CRD created through one API server is served by
// another sharing its Postgres (and Redis), which learns of it through the
// watch of CRDs; deleting it through the second stops both serving it.
func TestCRDTwoAPIServers(t *testing.T) {
	t.Parallel()
	testsvc.Slow(t, "two API servers and the real kubectl")
	pg, redis := testenv.Postgres(t), testenv.Redis(t)
	dir := t.TempDir() // shared tokens and CA, as in the HA recipe
	a := testenv.StartAPIServer(t, testenv.Options{Store: pg, Redis: redis, DataDir: dir})
	b := testenv.StartAPIServer(t, testenv.Options{Store: pg, Redis: redis, DataDir: dir})
	okA, _, want := kubectlRunner(t, a)
	okB, failsB, _ := kubectlRunner(t, b)
	onA := func(args ...string) []string { return append([]string{"--server", a.URL}, args...) }
	onB := func(args ...string) []string { return append([]string{"--server", b.URL}, args...) }

	crd, err := filepath.Abs(filepath.Join("testdata", "crontab-crd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	okA("", onA("apply", "-f", crd)...)
	const crontabs = "/apis/stable.example.com/v1/namespaces/default/crontabs"
	deadline := time.Now().Add(10 * time.Second)
	for b.Do(t, "GET", crontabs, nil).Code != 200 {
		if time.Now().After(deadline) {
			t.Fatal("B does not serve the CRD A created after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("B served the CRD %v after A was asked to create it", time.Since(start))
	okB("", onB("wait", "--for=condition=Established", "--timeout=10s", "crd/crontabs.stable.example.com")...)

	ct := strings.Replace(crontab, "  bogus: dropped\n", "", 1)
	want(okB(ct, onB("create", "-f", "-")...), `crontab.stable.example.com/nightly created`)
	want(okA("", onA("get", "ct", "nightly", "-o", "yaml")...), `cronSpec: 0 3`, `replicas: 1`)
	want(okA("", onA("explain", "crontab.spec.cronSpec")...), `The schedule, in cron format.`)

	// Deleting through B deletes the object (A and B both do the CRD's
	// cleanup, which is idempotent) and then the CRD.
	want(okB("", onB("delete", "crd", "crontabs.stable.example.com")...), `deleted`)
	deadline = time.Now().Add(10 * time.Second)
	for a.Do(t, "GET", crontabs, nil).Code != 404 {
		if time.Now().After(deadline) {
			t.Fatal("A still serves the CRD deleted through B after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	want(failsB("", onB("get", "crd", "crontabs.stable.example.com")...), `NotFound`)
}
