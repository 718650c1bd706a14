package apiserver_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

// kubectlRun drives one API server with the real kubectl and checks its
// output against regular expressions.
type kubectlRun struct {
	t   *testing.T
	s   *testenv.APIServer
	dir string
}

func newKubectlRun(t *testing.T) *kubectlRun {
	testsvc.Slow(t, "the real kubectl, many commands")
	return &kubectlRun{t: t, s: testenv.StartAPIServer(t, testenv.Options{}), dir: t.TempDir()}
}

// ok runs kubectl, fails the test if it fails, and returns its output.
func (k *kubectlRun) ok(args ...string) string {
	k.t.Helper()
	out, err := k.s.Kubectl(k.t, "", args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// match fails the test unless out matches every pattern.
func (k *kubectlRun) match(what, out string, patterns ...string) {
	k.t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			k.t.Fatalf("%s: no match for %q in:\n%s", what, p, out)
		}
	}
}

// invalid runs kubectl, which must fail with a 422 matching want.
func (k *kubectlRun) invalid(what string, args []string, want ...string) {
	k.t.Helper()
	out, err := k.s.Kubectl(k.t, "", args...)
	if err == nil {
		k.t.Fatalf("%s succeeded:\n%s", what, out)
	}
	k.match(what, out, append([]string{`is invalid`}, want...)...)
}

// file writes a manifest and returns its path.
func (k *kubectlRun) file(name, manifest string) string {
	k.t.Helper()
	p := filepath.Join(k.dir, name)
	if err := os.WriteFile(p, []byte(manifest), 0o600); err != nil {
		k.t.Fatal(err)
	}
	return p
}

// editor sets KUBE_EDITOR to a script that runs sed on the file.
func (k *kubectlRun) editor(name, sedExpr string) {
	p := filepath.Join(k.dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nsed -i '"+sedExpr+"' \"$1\"\n"), 0o700); err != nil {
		k.t.Fatal(err)
	}
	k.t.Setenv("KUBE_EDITOR", p)
}

// json gets an object as JSON into v.
func (k *kubectlRun) json(v any, args ...string) {
	k.t.Helper()
	if err := json.Unmarshal([]byte(k.ok(append(append([]string{"get"}, args...), "-o", "json")...)), v); err != nil {
		k.t.Fatal(err)
	}
}

// TestKubectlBatch drives Jobs and CronJobs with the real kubectl: its
// typed create commands (protobuf bodies), create job --from=cronjob,
// tables (also -o wide), describe, edit, explain, the defaults and the
// generated selector, 422s, get all and delete.
func TestKubectlBatch(t *testing.T) {
	k := newKubectlRun(t)
	k.match("explain job", k.ok("explain", "job.spec"), `manualSelector`, `backoffLimit`, `Defaults\s+to\s+6`)
	k.match("explain cronjob", k.ok("explain", "cronjob.spec"), `schedule\s+<string> -required-`, `timeZone`)

	k.match("create job", k.ok("create", "job", "j", "--image=busybox", "--", "echo", "hi"), `job.batch/j created`)
	k.match("get job", k.ok("get", "jobs"), `(?m)^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$`, `(?m)^j\s+Running\s+0/1\s+\S+$`)
	k.match("get job wide", k.ok("get", "job", "j", "-o", "wide"),
		`(?m)^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$`,
		`(?m)^j\s+Running\s+0/1\s+\S+\s+j\s+busybox\s+batch.kubernetes.io/controller-uid=[0-9a-f-]{36}$`)
	var job struct {
		Metadata struct {
			UID    string
			Labels map[string]string
		}
		Spec struct {
			Completions, Parallelism, BackoffLimit *int
			CompletionMode                         string
			Suspend, ManualSelector                *bool
			Selector                               struct{ MatchLabels map[string]string }
			Template                               struct {
				Metadata struct{ Labels map[string]string }
			}
		}
	}
	k.json(&job, "job", "j")
	s := job.Spec
	if s.Completions == nil || *s.Completions != 1 || *s.Parallelism != 1 || *s.BackoffLimit != 6 || s.CompletionMode != "NonIndexed" ||
		s.Suspend == nil || *s.Suspend || s.ManualSelector == nil || *s.ManualSelector {
		t.Errorf("job defaults: %+v", s)
	}
	uid := job.Metadata.UID
	wantLabels := map[string]string{"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "j", "controller-uid": uid, "job-name": "j"}
	for k, v := range wantLabels {
		if s.Template.Metadata.Labels[k] != v || job.Metadata.Labels[k] != v {
			t.Errorf("label %s: template %q, job %q, want %q", k, s.Template.Metadata.Labels[k], job.Metadata.Labels[k], v)
		}
	}
	if len(s.Selector.MatchLabels) != 1 || s.Selector.MatchLabels["batch.kubernetes.io/controller-uid"] != uid {
		t.Errorf("selector %v, want the job's uid", s.Selector.MatchLabels)
	}
	k.match("describe job", k.ok("describe", "job", "j"), `Name:\s+j`, `Parallelism:\s+1`, `Completions:\s+1`, `Pods Statuses:\s+0 Active`)
	k.editor("edit-job", `s/^  suspend: false$/  suspend: true/`)
	k.match("edit job", k.ok("edit", "job", "j"), `job.batch/j edited`)
	k.match("edited job", k.ok("get", "job", "j", "-o", "jsonpath={.spec.suspend}"), `^true$`)
	k.invalid("job template change", []string{"patch", "job", "j", "--type=json", "-p",
		`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx"}]`},
		`spec.template: Invalid value: .*field is immutable`)
	k.invalid("job restartPolicy", []string{"apply", "-f", k.file("always.yaml", `apiVersion: batch/v1
kind: Job
metadata: {name: always}
spec:
  template:
    spec:
      containers: [{name: c, image: busybox}]
`)}, `spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`)
	k.invalid("manual selector", []string{"apply", "-f", k.file("manual.yaml", `apiVersion: batch/v1
kind: Job
metadata: {name: manual}
spec:
  manualSelector: true
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox}]
`)}, `spec.selector: Required value`)

	k.match("create cronjob", k.ok("create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *", "--", "echo", "hi"), `cronjob.batch/cj created`)
	k.match("get cronjob", k.ok("get", "cj"), `(?m)^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$`,
		`(?m)^cj\s+\*/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\S+$`)
	k.match("get cronjob wide", k.ok("get", "cj", "-o", "wide"), `(?m)^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$`,
		`(?m)^cj\s+.*\s+cj\s+busybox\s+<none>$`)
	k.match("cronjob defaults", k.ok("get", "cj", "cj", "-o", "jsonpath={.spec.concurrencyPolicy} {.spec.successfulJobsHistoryLimit} {.spec.failedJobsHistoryLimit} {.spec.suspend}"),
		`^Allow 3 1 false$`)
	k.match("create cronjob @hourly", k.ok("create", "cronjob", "hourly", "--image=busybox", "--schedule=@hourly"), `cronjob.batch/hourly created`)
	k.invalid("bad schedule", []string{"create", "cronjob", "bad", "--image=busybox", "--schedule=every minute"},
		`spec.schedule: Invalid value: "every minute"`)
	k.invalid("bad time zone", []string{"patch", "cj", "cj", "-p", `{"spec":{"timeZone":"Mars/Olympus_Mons"}}`},
		`spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons`)
	k.ok("patch", "cj", "cj", "-p", `{"spec":{"timeZone":"Europe/Paris"}}`)
	k.match("time zone", k.ok("get", "cj", "cj"), `(?m)^cj\s+\*/5 \* \* \* \*\s+Europe/Paris\s+False`)
	k.invalid("bad concurrency", []string{"patch", "cj", "cj", "-p", `{"spec":{"concurrencyPolicy":"Sometimes"}}`},
		`spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"`)
	k.match("describe cronjob", k.ok("describe", "cj", "cj"), `Name:\s+cj`, `Schedule:\s+\*/5 \* \* \* \*`, `Concurrency Policy:\s+Allow`)
	k.editor("edit-cj", `s/^  schedule: .*$/  schedule: "@daily"/`)
	k.match("edit cronjob", k.ok("edit", "cj", "cj"), `cronjob.batch/cj edited`)

	k.match("job from cronjob", k.ok("create", "job", "manual-run", "--from=cronjob/cj"), `job.batch/manual-run created`)
	var fromCJ struct {
		Metadata struct {
			Annotations     map[string]string
			OwnerReferences []struct{ Kind, Name string }
		}
		Spec struct {
			Template struct {
				Spec struct{ Containers []struct{ Image string } }
			}
		}
	}
	k.json(&fromCJ, "job", "manual-run")
	if refs := fromCJ.Metadata.OwnerReferences; len(refs) != 1 || refs[0].Kind != "CronJob" || refs[0].Name != "cj" ||
		fromCJ.Metadata.Annotations["cronjob.kubernetes.io/instantiate"] != "manual" ||
		len(fromCJ.Spec.Template.Spec.Containers) != 1 || fromCJ.Spec.Template.Spec.Containers[0].Image != "busybox" {
		t.Errorf("job from cronjob: %+v", fromCJ)
	}

	k.match("get all", k.ok("get", "all"), `(?m)^job.batch/j\s+Running\s+0/1`, `(?m)^cronjob.batch/cj\s+@daily`)
	k.match("delete", k.ok("delete", "job", "j", "manual-run"), `job.batch "j" deleted`, `job.batch "manual-run" deleted`)
	k.match("delete cronjob", k.ok("delete", "cj", "cj", "hourly"), `cronjob.batch "cj" deleted`)
}
