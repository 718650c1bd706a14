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
	k.s.Editor = p
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
	t.Parallel()
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

// TestKubectlApps drives DaemonSets, StatefulSets (with kubectl scale),
// ControllerRevisions and HorizontalPodAutoscalers with the real kubectl.
func TestKubectlApps(t *testing.T) {
	t.Parallel()
	k := newKubectlRun(t)
	k.match("explain", k.ok("explain", "statefulset.spec"), `serviceName`, `volumeClaimTemplates`, `podManagementPolicy`)
	k.match("explain", k.ok("explain", "hpa.spec"), `scaleTargetRef\s+<CrossVersionObjectReference> -required-`, `maxReplicas\s+<integer> -required-`)
	k.match("apply", k.ok("apply", "-f", k.file("apps.yaml", `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {disk: ssd, zone: a}
      containers: [{name: agent, image: busybox}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: db}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}
  maxReplicas: 5
`)), `daemonset.apps/agent created`, `statefulset.apps/db created`, `horizontalpodautoscaler.autoscaling/db created`)

	k.match("get ds", k.ok("get", "ds", "-o", "wide"),
		`(?m)^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$`,
		`(?m)^agent\s+0\s+0\s+0\s+0\s+0\s+disk=ssd,zone=a\s+\S+\s+agent\s+busybox\s+app=agent$`)
	k.match("ds defaults", k.ok("get", "ds", "agent", "-o", "jsonpath={.spec.updateStrategy.type} {.spec.updateStrategy.rollingUpdate.maxUnavailable} {.spec.revisionHistoryLimit}"),
		`^RollingUpdate 1 10$`)
	k.match("describe ds", k.ok("describe", "ds", "agent"), `Name:\s+agent`, `Selector:\s+app=agent`, `Node-Selector:\s+disk=ssd,zone=a`)
	k.editor("edit-ds", `s/^  minReadySeconds: .*$//; s/^  revisionHistoryLimit: 10$/  revisionHistoryLimit: 3/`)
	k.match("edit ds", k.ok("edit", "ds", "agent"), `daemonset.apps/agent edited`)
	k.invalid("ds selector", []string{"patch", "ds", "agent", "-p", `{"spec":{"selector":{"matchLabels":{"app":"other"}}}}`},
		`spec.selector: Invalid value: .*field is immutable`)

	k.match("get sts", k.ok("get", "sts", "-o", "wide"), `(?m)^NAME\s+READY\s+AGE\s+CONTAINERS\s+IMAGES$`, `(?m)^db\s+0/2\s+\S+\s+db\s+postgres$`)
	k.match("sts defaults", k.ok("get", "sts", "db", "-o", "jsonpath={.spec.podManagementPolicy} {.spec.updateStrategy.rollingUpdate.partition} {.spec.persistentVolumeClaimRetentionPolicy.whenDeleted}"),
		`^OrderedReady 0 Retain$`)
	k.match("scale sts", k.ok("scale", "sts", "db", "--replicas=3"), `statefulset.apps/db scaled`)
	k.match("scaled sts", k.ok("get", "sts", "db"), `(?m)^db\s+0/3\s+`)
	k.match("describe sts", k.ok("describe", "sts", "db"), `Name:\s+db`, `Replicas:\s+3 desired`, `Volume Claims:`)
	k.invalid("sts forbidden update", []string{"patch", "sts", "db", "-p", `{"spec":{"serviceName":"other"}}`},
		`spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`)

	var ds struct{ Metadata struct{ UID string } }
	k.json(&ds, "ds", "agent")
	k.match("create revision", k.ok("create", "-f", k.file("rev.yaml", `apiVersion: apps/v1
kind: ControllerRevision
metadata:
  name: agent-1
  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: agent, uid: `+ds.Metadata.UID+`, controller: true}]
data: {spec: {template: {}}}
revision: 1
`)), `controllerrevision.apps/agent-1 created`)
	k.match("get revision", k.ok("get", "controllerrevisions"), `(?m)^NAME\s+CONTROLLER\s+REVISION\s+AGE$`, `(?m)^agent-1\s+daemonset.apps/agent\s+1\s+`)
	k.invalid("revision data", []string{"patch", "controllerrevision", "agent-1", "--type=merge", "-p", `{"data":{"spec":{"x":1}}}`},
		`data: Invalid value: .*field is immutable`)

	k.match("get hpa", k.ok("get", "hpa"), `(?m)^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$`,
		`(?m)^db\s+StatefulSet/db\s+cpu: <unknown>/80%\s+1\s+5\s+0\s+`)
	k.match("describe hpa", k.ok("describe", "hpa", "db"), `Name:\s+db`, `Reference:\s+StatefulSet/db`, `Min replicas:\s+1`, `Max replicas:\s+5`)
	k.invalid("hpa bounds", []string{"patch", "hpa", "db", "-p", `{"spec":{"minReplicas":6}}`},
		"spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`")

	k.match("get all", k.ok("get", "all"), `(?m)^daemonset.apps/agent\s+0`, `(?m)^statefulset.apps/db\s+0/3`,
		`(?m)^horizontalpodautoscaler.autoscaling/db\s+StatefulSet/db`)
	k.match("delete", k.ok("delete", "ds/agent", "sts/db", "hpa/db", "controllerrevision/agent-1"),
		`daemonset.apps "agent" deleted`, `statefulset.apps "db" deleted`, `horizontalpodautoscaler.autoscaling "db" deleted`)
}

// TestKubectlPolicyAndNetworking drives PodDisruptionBudgets, Ingresses,
// IngressClasses and NetworkPolicies with the real kubectl.
func TestKubectlPolicyAndNetworking(t *testing.T) {
	t.Parallel()
	k := newKubectlRun(t)
	k.match("explain", k.ok("explain", "pdb.spec"), `minAvailable`, `maxUnavailable`, `unhealthyPodEvictionPolicy`)
	k.match("explain", k.ok("explain", "ingress.spec.rules"), `host\s+<string>`, `http\s+<HTTPIngressRuleValue>`)

	k.match("create pdb", k.ok("create", "pdb", "web", "--selector=app=web", "--max-unavailable=1"), `poddisruptionbudget.policy/web created`)
	k.match("create pdb", k.ok("create", "poddisruptionbudget", "db", "--selector=app=db", "--min-available=50%"), `poddisruptionbudget.policy/db created`)
	k.match("get pdb", k.ok("get", "pdb"), `(?m)^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$`,
		`(?m)^db\s+50%\s+N/A\s+0\s+`, `(?m)^web\s+N/A\s+1\s+0\s+`)
	k.match("describe pdb", k.ok("describe", "pdb", "web"), `Name:\s+web`, `Max unavailable:\s+1`, `Selector:\s+app=web`)
	k.invalid("pdb both", []string{"patch", "pdb", "web", "-p", `{"spec":{"minAvailable":1}}`},
		`spec: Invalid value: .*minAvailable and maxUnavailable cannot be both set`)
	k.invalid("pdb percent", []string{"create", "pdb", "bad", "--selector=a=b", "--min-available=120%"},
		`spec.minAvailable: Invalid value: "120%": must not be greater than 100%`)
	k.editor("edit-pdb", `s/^  maxUnavailable: 1$/  maxUnavailable: 2/`)
	k.match("edit pdb", k.ok("edit", "pdb", "web"), `poddisruptionbudget.policy/web edited`)

	k.match("create ingress", k.ok("create", "ingress", "web", "--rule=foo.com/bar*=svc:8080", "--rule=bar.com/=other:http,tls=cert"),
		`ingress.networking.k8s.io/web created`)
	k.match("get ingress", k.ok("get", "ing"), `(?m)^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE$`, `(?m)^web\s+<none>\s+foo.com,bar.com\s+80, 443\s+`)
	k.match("ingress path", k.ok("get", "ing", "web", "-o", "jsonpath={.spec.rules[0].http.paths[0].pathType} {.spec.rules[0].http.paths[0].path}"),
		`^Prefix /bar$`)
	k.match("describe ingress", k.ok("describe", "ing", "web"), `Name:\s+web`, `foo.com`, `/bar\s+svc:8080`)
	k.invalid("ingress path type", []string{"apply", "-f", k.file("ing.yaml", `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bad}
spec:
  rules:
  - host: 10.0.0.1
    http:
      paths:
      - path: nope
        pathType: Exact
        backend: {service: {name: svc}}
`)}, `spec.rules\[0\].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address`,
		`spec.rules\[0\].http.paths\[0\].path: Invalid value: "nope": must be an absolute path`,
		`spec.rules\[0\].http.paths\[0\].backend.service.port: Required value: port name or number is required`)
	k.editor("edit-ing", `s/^  - host: foo.com$/  - host: baz.com/`)
	k.match("edit ingress", k.ok("edit", "ing", "web"), `ingress.networking.k8s.io/web edited`)

	k.match("apply", k.ok("apply", "-f", k.file("net.yaml", `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]
`)), `ingressclass.networking.k8s.io/nginx created`, `networkpolicy.networking.k8s.io/db created`)
	k.match("get ingressclass", k.ok("get", "ingressclass"), `(?m)^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE$`,
		`(?m)^nginx\s+k8s.io/ingress-nginx\s+IngressParameters.k8s.example.com/external-lb\s+`)
	k.invalid("ingressclass controller", []string{"patch", "ingressclass", "nginx", "-p", `{"spec":{"controller":"example.com/other"}}`},
		`spec.controller: Invalid value: "example.com/other": field is immutable`)
	k.match("get netpol", k.ok("get", "netpol"), `(?m)^NAME\s+POD-SELECTOR\s+AGE$`, `(?m)^db\s+app=db\s+`)
	k.match("netpol defaults", k.ok("get", "netpol", "db", "-o", "jsonpath={.spec.policyTypes} {.spec.ingress[0].ports[0].protocol}"), `^\["Ingress"\] TCP$`)
	k.match("describe netpol", k.ok("describe", "netpol", "db"), `Name:\s+db`, `PodSelector:\s+app=db`)
	k.invalid("netpol peer", []string{"patch", "netpol", "db", "--type=json", "-p",
		`[{"op":"add","path":"/spec/ingress/0/from/0/ipBlock","value":{"cidr":"10.0.0.0/8"}}]`},
		`spec.ingress\[0\].from\[0\]: Forbidden: may not specify more than 1 peer type`)
	k.match("delete", k.ok("delete", "pdb/web", "pdb/db", "ing/web", "ingressclass/nginx", "netpol/db"),
		`poddisruptionbudget.policy "web" deleted`, `ingress.networking.k8s.io "web" deleted`, `networkpolicy.networking.k8s.io "db" deleted`)
}
