package apiserver_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
	t.Setenv("KUBE_EDITOR", editor)
	want(ok("", "edit", "ct", "nightly"), `edited`)
	want(ok("", "get", "ct", "nightly", "-o", "jsonpath={.spec.image}"), `^backup:3$`)

	// Status only through /status; a write of the object keeps it.
	ok("", "patch", "ct", "nightly", "--subresource=status", "--type=merge", "-p", `{"status":{"replicas":2,"selector":"tier=batch"}}`)
	ok("", "patch", "ct", "nightly", "--type=merge", "-p", `{"status":{"replicas":9}}`)
	want(ok("", "get", "ct", "nightly", "-o", "jsonpath={.status.replicas}"), `^2$`)

	// Scale.
	want(ok("", "scale", "crontab", "nightly", "--replicas=3"), `scaled`)
	want(ok("", "get", "ct", "nightly", "-o", "jsonpath={.spec.replicas}"), `^3$`)
	want(ok("", "get", "--raw", "/apis/stable.example.com/v1/namespaces/default/crontabs/nightly/scale"),
		`"kind":"Scale"`, `"replicas":3`, `"selector":"tier=batch"`)

	// The other served version: the same object, another apiVersion.
	want(ok("", "get", "crontabs.v1beta1.stable.example.com", "nightly", "-o", "yaml"),
		`apiVersion: stable.example.com/v1beta1\n`, `image: backup:3`)

	// kubectl explain reads the OpenAPI v3 document.
	want(ok("", "explain", "crontab.spec"), `cronSpec\s+<string>`, `The schedule, in cron format.`)

	// Bad objects: a bad name, a value of the wrong type are 422s.
	good := strings.Replace(crontab, "  bogus: dropped\n", "", 1)
	bad := strings.Replace(good, "nightly", "Bad_Name", 1)
	want(fails(bad, "apply", "-f", "-"), `is invalid: metadata.name: Invalid value: "Bad_Name"`)
	bad = strings.Replace(good, "nightly", "weekly", 1) + "  replicas: three\n"
	want(fails(bad, "create", "-f", "-"), `The CronTab "weekly" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`)

	// Deleting the CRD deletes its objects first, then stops serving it.
	// (kubectl delete waits until the CRD is gone.)
	want(ok("", "delete", "crd", "crontabs.stable.example.com"), `deleted`)
	want(fails("", "get", "ct"), `the server doesn't have a resource type "ct"|the server could not find the requested resource`)
	want(fails("", "get", "crd", "crontabs.stable.example.com"), `NotFound`)
	applyCronTabCRD(t, ok)
	want(ok("", "get", "ct"), `No resources found`)
}
