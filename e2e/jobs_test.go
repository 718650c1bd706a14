package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testsvc"
	"github.com/minik8s/minik8s/kubelet/docker"
)

// jobManifest is a Job of the simulated runtime whose containers exit
// after exitAfter with exitCode (the sim.minik8s.io annotations, see
// kubelet/sim); spec is YAML merged into the Job's spec.
func jobManifest(name, exitAfter, exitCode, spec string) string {
	return fmt.Sprintf(`apiVersion: batch/v1
kind: Job
metadata: {name: %s}
spec:
%s
  template:
    metadata:
      annotations: {sim.minik8s.io/exit-after: %q, sim.minik8s.io/exit-code: %q}
    spec:
      restartPolicy: Never
      containers: [{name: work, image: busybox}]
`, name, spec, exitAfter, exitCode)
}

// TestJobs runs Jobs with kubectl on one cluster of simulated nodes:
// completions with parallelism, a failing Job, an Indexed Job, suspend and
// resume. The steps run in order; the first failure stops the rest.
func TestJobs(t *testing.T) {
	t.Parallel()
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim"}})
	for _, step := range []struct {
		name string
		run  func(*testing.T, *cluster)
	}{
		{"CompletionsAndParallelism", testJobCompletions},
		{"CreateJobDefaults", testCreateJobDefaults},
		{"BackoffLimit", testJobBackoffLimit},
		{"Indexed", testJobIndexed},
		{"SuspendResume", testJobSuspend},
		{"PodFailurePolicy", testJobPodFailurePolicy},
		{"TTLAndCascade", testJobTTL},
	} {
		if !t.Run(step.name, func(t *testing.T) { step.run(t, c.on(t)) }) {
			t.FailNow()
		}
	}
}

// jsonpath reads one field of an object.
func (c *cluster) jsonpath(obj, path string) string {
	c.t.Helper()
	return c.kubectl("get", obj, "-o", "jsonpath="+path)
}

func testJobCompletions(t *testing.T, c *cluster) {
	c.kubectlStdin(jobManifest("pi", "1s", "0", "  completions: 3\n  parallelism: 2"), "create", "-f", "-")
	// Never more than two pods at once: each sync sees the pods it made.
	c.kubectl("wait", "--for=condition=complete", "--timeout=60s", "job/pi")
	if got := c.jsonpath("job/pi", "{.status.succeeded}/{.status.failed}/{.status.active}"); got != "3//" {
		t.Errorf("succeeded/failed/active %q, want 3//", got)
	}
	if got := c.jsonpath("job/pi", "{.status.startTime}"); got == "" {
		t.Error("no startTime")
	}
	if got := c.jsonpath("job/pi", "{.status.completionTime}"); got == "" {
		t.Error("no completionTime")
	}
	conds := c.jsonpath("job/pi", `{range .status.conditions[*]}{.type}={.status}:{.reason};{end}`)
	if conds != "SuccessCriteriaMet=True:CompletionsReached;Complete=True:CompletionsReached;" {
		t.Errorf("conditions %q", conds)
	}
	pods := c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=pi", "-o",
		`jsonpath={range .items[*]}{.status.phase} {.metadata.finalizers}{"\n"}{end}`)
	if ls := lines(pods); len(ls) != 3 || strings.Count(pods, "Succeeded") != 3 || strings.Contains(pods, "job-tracking") {
		t.Errorf("pods (phase, finalizers):\n%s", pods)
	}
	if out := c.kubectl("get", "job", "pi", "--no-headers"); !strings.Contains(out, "Complete") || !strings.Contains(out, "3/3") {
		t.Errorf("get job: %q", out)
	}
}

// testCreateJobDefaults: a Job made by kubectl create job, with no
// annotation, completes on sim (its containers run the default simulated
// run time and exit 0); fail-attempts makes an OnFailure pod restart
// before it succeeds.
func testCreateJobDefaults(t *testing.T, c *cluster) {
	c.kubectl("create", "job", "plain", "--image=busybox")
	c.kubectl("wait", "--for=condition=complete", "--timeout=60s", "job/plain")
	if got := c.jsonpath("job/plain", "{.status.succeeded}"); got != "1" {
		t.Errorf("succeeded %q, want 1", got)
	}
	c.kubectlStdin(`apiVersion: batch/v1
kind: Job
metadata: {name: retry}
spec:
  template:
    metadata:
      annotations: {sim.minik8s.io/fail-attempts: "1", sim.minik8s.io/exit-after: "100ms-300ms"}
    spec:
      restartPolicy: OnFailure
      containers: [{name: work, image: busybox}]
`, "create", "-f", "-")
	c.kubectl("wait", "--for=condition=complete", "--timeout=60s", "job/retry")
	if got := c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=retry", "-o", "jsonpath={.items[*].status.containerStatuses[0].restartCount}"); got != "1" {
		t.Errorf("restart count %q, want 1 (one failed attempt, then success)", got)
	}
}

func testJobBackoffLimit(t *testing.T, c *cluster) {
	c.kubectlStdin(jobManifest("fail", "100ms", "3", "  backoffLimit: 1"), "create", "-f", "-")
	// The second pod waits out the 10s back-off after the first failure.
	c.kubectl("wait", "--for=condition=failed", "--timeout=60s", "job/fail")
	if got := c.jsonpath("job/fail", `{.status.failed}/{.status.succeeded}`); got != "2/" {
		t.Errorf("failed/succeeded %q, want 2/", got)
	}
	if got := c.jsonpath("job/fail", `{.status.conditions[?(@.type=="Failed")].reason}`); got != "BackoffLimitExceeded" {
		t.Errorf("Failed reason %q", got)
	}
	if got := c.jsonpath("job/fail", `{.status.conditions[?(@.type=="FailureTarget")].message}`); got != "Job has reached the specified backoff limit" {
		t.Errorf("FailureTarget message %q", got)
	}
	if n := len(lines(c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=fail", "--no-headers"))); n != 2 {
		t.Errorf("%d pods, want 2", n)
	}
}

func testJobIndexed(t *testing.T, c *cluster) {
	c.kubectlStdin(jobManifest("idx", "500ms", "0", "  completions: 3\n  parallelism: 3\n  completionMode: Indexed"), "create", "-f", "-")
	c.kubectl("wait", "--for=condition=complete", "--timeout=60s", "job/idx")
	if got := c.jsonpath("job/idx", "{.status.completedIndexes} {.status.succeeded}"); got != "0-2 3" {
		t.Errorf("completedIndexes and succeeded %q, want \"0-2 3\"", got)
	}
	out := c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=idx", "-o",
		`jsonpath={range .items[*]}{.metadata.annotations.batch\.kubernetes\.io/job-completion-index}={.spec.containers[0].env[?(@.name=="JOB_COMPLETION_INDEX")].value}={.spec.hostname}{"\n"}{end}`)
	for _, want := range []string{"0=0=idx-0", "1=1=idx-1", "2=2=idx-2"} {
		if !strings.Contains(out, want) {
			t.Errorf("pods lack index %q:\n%s", want, out)
		}
	}
}

func testJobSuspend(t *testing.T, c *cluster) {
	c.kubectlStdin(jobManifest("later", "2s", "0", "  completions: 2\n  parallelism: 2\n  suspend: true"), "create", "-f", "-")
	eventually(t, testTimeout, "Suspended condition", func() string {
		if got := c.jsonpath("job/later", `{.status.conditions[?(@.type=="Suspended")].status}`); got != "True" {
			return "Suspended is " + got
		}
		return ""
	})
	if n := len(lines(c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=later", "--no-headers", "--ignore-not-found"))); n != 0 {
		t.Fatalf("a suspended Job has %d pods", n)
	}
	c.kubectl("patch", "job", "later", "--type=merge", "-p", `{"spec":{"suspend":false}}`)
	c.waitRunning(2, "-l", "batch.kubernetes.io/job-name=later")
	// Suspend while running: the pods are deleted, and not counted as failed.
	c.kubectl("patch", "job", "later", "--type=merge", "-p", `{"spec":{"suspend":true}}`)
	eventually(t, testTimeout, "pods of the suspended Job gone", func() string {
		if out := c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=later", "--no-headers", "--ignore-not-found"); out != "" {
			return out
		}
		return ""
	})
	c.kubectl("patch", "job", "later", "--type=merge", "-p", `{"spec":{"suspend":false}}`)
	c.kubectl("wait", "--for=condition=complete", "--timeout=60s", "job/later")
	if got := c.jsonpath("job/later", `{.status.succeeded}/{.status.failed}/{.status.conditions[?(@.type=="Suspended")].reason}`); got != "2//JobResumed" {
		t.Errorf("succeeded/failed/Suspended reason %q, want 2//JobResumed", got)
	}
}

func testJobPodFailurePolicy(t *testing.T, c *cluster) {
	c.kubectlStdin(jobManifest("policy", "100ms", "42", `  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {operator: In, values: [42]}`), "create", "-f", "-")
	c.kubectl("wait", "--for=condition=failed", "--timeout=60s", "job/policy")
	got := c.jsonpath("job/policy", `{.status.failed} {.status.conditions[?(@.type=="Failed")].reason}: {.status.conditions[?(@.type=="Failed")].message}`)
	if !strings.HasPrefix(got, "1 PodFailurePolicy: Container work for pod default/policy-") || !strings.HasSuffix(got, "failed with exit code 42 matching FailJob rule at index 0") {
		t.Errorf("failed, reason and message: %q", got)
	}
}

func testJobTTL(t *testing.T, c *cluster) {
	c.kubectlStdin(jobManifest("brief", "100ms", "0", "  ttlSecondsAfterFinished: 1"), "create", "-f", "-")
	c.kubectl("wait", "--for=delete", "--timeout=60s", "job/brief")
	eventually(t, testTimeout, "pods of the expired Job gone", func() string {
		return c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=brief", "--no-headers", "--ignore-not-found")
	})
	// Deleting a Job deletes its pods (owner references and the collector),
	// finished or running: the tracking finalizer of a running pod whose
	// Job is gone is removed.
	c.kubectlStdin(jobManifest("forever", "1h", "0", "  parallelism: 2"), "create", "-f", "-")
	c.waitRunning(2, "-l", "batch.kubernetes.io/job-name=forever")
	c.kubectl("delete", "job", "pi", "idx", "forever")
	eventually(t, testTimeout, "pods of deleted Jobs gone", func() string {
		return c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name in (pi,idx,forever)", "--no-headers", "--ignore-not-found")
	})
}

// TestJobOnDocker runs an Indexed Job of real containers: each exits 0
// after printing its JOB_COMPLETION_INDEX, and the Job completes. It fails
// when MINIK8S_TEST_DOCKER is unset or no engine answers.
func TestJobOnDocker(t *testing.T) {
	testsvc.Require(t, testsvc.Docker)
	t.Parallel()
	if !docker.Available(context.Background(), "") {
		t.Fatal("MINIK8S_TEST_DOCKER is set but no Docker engine answers")
	}
	buildTestImage(t)
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base := "e2e-job-" + hex.EncodeToString(b)
	nodes := []string{base}
	t.Cleanup(func() { removeContainers(t, nodes) })
	c := startCluster(t, clusterOptions{nodeName: base, args: []string{"--runtime", "docker", "--nodes", "1"}})
	c.kubectlStdin(`apiVersion: batch/v1
kind: Job
metadata: {name: print}
spec:
  completions: 2
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: `+testImage+`
        command: [/testapp, -env=JOB_COMPLETION_INDEX, -listen=, -exit=0, -after=200ms]
`, "create", "-f", "-")
	c.kubectl("wait", "--for=condition=complete", "--timeout=60s", "job/print")
	if got := c.jsonpath("job/print", "{.status.succeeded} {.status.completedIndexes}"); got != "2 0-1" {
		t.Errorf("succeeded and completedIndexes %q, want \"2 0-1\"", got)
	}
	var logs []string
	for _, p := range lines(c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=print", "-o", "name")) {
		logs = append(logs, strings.TrimSpace(c.kubectl("logs", p)))
	}
	slices.Sort(logs)
	if strings.Join(logs, ",") != "JOB_COMPLETION_INDEX=0,JOB_COMPLETION_INDEX=1" {
		t.Errorf("logs of the pods: %q", logs)
	}
}

// TestJobControllerManagerFailover stops the leading controller-manager
// replica (through its /replicas endpoint, as the leader-election lab
// does) in the middle of a Job: the standby takes over from a fresh cache
// and the Job completes with exactly its completions counted and no pod
// made twice.
func TestJobControllerManagerFailover(t *testing.T) {
	t.Parallel()
	_, port, _ := strings.Cut(freeAddr(t), ":")
	c := startCluster(t, clusterOptions{args: []string{"--runtime", "sim", "--controller-manager-replicas", "2", "--controller-manager-port", port}})
	cms := c.controllerManagerReplicas(port)
	c.kubectlStdin(jobManifest("relay", "1500ms", "0", "  completions: 8\n  parallelism: 2"), "create", "-f", "-")
	eventually(t, testTimeout, "two pods counted", func() string {
		if n, _ := strconv.Atoi(c.jsonpath("job/relay", "{.status.succeeded}")); n < 2 {
			return fmt.Sprintf("succeeded %d", n)
		}
		return ""
	})
	cms.stopLeader()

	c.kubectl("wait", "--for=condition=complete", "--timeout=60s", "job/relay")
	if got := c.jsonpath("job/relay", "{.status.succeeded}/{.status.failed}"); got != "8/" {
		t.Errorf("succeeded/failed %q, want 8/", got)
	}
	pods := c.kubectl("get", "pods", "-l", "batch.kubernetes.io/job-name=relay", "-o",
		`jsonpath={range .items[*]}{.status.phase} {.metadata.finalizers}{"\n"}{end}`)
	if n := len(lines(pods)); n != 8 || strings.Count(pods, "Succeeded") != 8 || strings.Contains(pods, "job-tracking") {
		t.Errorf("%d pods, want 8 Succeeded without the tracking finalizer:\n%s", n, pods)
	}
}
