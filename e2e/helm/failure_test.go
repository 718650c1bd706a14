package helm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestFailures checks that Helm's watcher sees failures as failures, from
// the conditions minik8s' controllers write, instead of waiting out its
// timeout: a pre-install hook Job whose pod exits 1 (Job Failed,
// BackoffLimitExceeded) fails the install; an upgrade whose pods cannot
// start fails once the Deployment's progress deadline passes (Progressing
// False, ProgressDeadlineExceeded), and the next upgrade, a new template,
// succeeds (a new ReplicaSet makes Progressing True again).
func TestFailures(t *testing.T) {
	// Not with the legacy waiter: it polls readiness until its timeout, so
	// a failure is a timeout there, nothing minik8s tells it.
	watcher := func(m mode) bool { return m.wait == kube.StatusWatcherStrategy }
	forEachMode(t, func(t *testing.T, m mode) {
		t.Run("hook", func(t *testing.T) { testFailingHook(t, m) })
		t.Run("rollout", func(t *testing.T) { testFailingRollout(t, m) })
	}, watcher)
}

func testFailingHook(t *testing.T, m mode) {
	ns := cluster.NewNamespace(t)
	ctx := t.Context()
	chrt, err := loader.Load("testdata/crdhooks")
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	removeGadgetsCRD(t)
	cfg := newConfig(t, ns, nil)
	inst := newInstall(cfg, m, ns, "failhook", false)
	var rel any
	err = timed(t, "install --wait (failing hook)", func() (err error) {
		rel, err = inst.RunWithContext(ctx, chrt, map[string]any{"hookExitCode": 1})
		return
	})
	if err == nil || !strings.Contains(err.Error(), "failhook-pre-install") || !strings.Contains(err.Error(), "Failed") {
		t.Fatalf("install with a failing pre-install hook: %v, want the hook Job failed", err)
	}
	t.Logf("install failed as it should: %v", err)
	if r := asRelease(t, rel); r.Info.Status != common.StatusFailed {
		t.Errorf("release status %q, want failed", r.Info.Status)
	} else if h := hook(t, r, release.HookPreInstall); h.LastRun.Phase != release.HookPhaseFailed {
		t.Errorf("pre-install hook phase %q, want Failed", h.LastRun.Phase)
	}
	job, err := cluster.Client.BatchV1().Jobs(ns).Get(ctx, "failhook-pre-install", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("hook job: %v", err)
	}
	var reason string
	for _, c := range job.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == "True" {
			reason = c.Reason
		}
	}
	if reason != "BackoffLimitExceeded" || job.Status.Failed != 1 {
		t.Errorf("hook job status %+v, want one failed pod and Failed (BackoffLimitExceeded)", job.Status)
	}
	checkStorage(t, ns, "failhook", "failed")
}

func testFailingRollout(t *testing.T, m mode) {
	ns := cluster.NewNamespace(t)
	ctx := t.Context()
	cs := cluster.Client
	chrt := createdChart(t)
	cfg := newConfig(t, ns, nil)
	if _, err := newInstall(cfg, m, ns, "demo", false).RunWithContext(ctx, chrt, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	// The chart has no value for it: a short progress deadline set by hand,
	// which the upgrade's patches leave alone.
	if _, err := cs.AppsV1().Deployments(ns).Patch(ctx, "demo", types.MergePatchType,
		[]byte(`{"spec":{"progressDeadlineSeconds":2}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("set progressDeadlineSeconds: %v", err)
	}

	// helm upgrade demo --set podAnnotations.sim\.minik8s\.io/image-absent=true
	// --wait: the new pods cannot pull their image.
	up := action.NewUpgrade(cfg)
	up.Namespace = ns
	up.WaitStrategy, up.Timeout = m.wait, timeout
	err := timed(t, "upgrade --wait (image absent)", func() error {
		_, err := up.RunWithContext(ctx, "demo", chrt, map[string]any{
			"podAnnotations": map[string]any{"sim.minik8s.io/image-absent": "true"},
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "Progress deadline exceeded") {
		t.Fatalf("upgrade whose pods cannot start: %v, want the progress deadline exceeded\n%s", err, describe(ns))
	}
	t.Logf("upgrade failed as it should: %v", err)
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "demo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var reason string
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == "False" {
			reason = c.Reason
		}
	}
	if reason != "ProgressDeadlineExceeded" {
		t.Errorf("deployment conditions %+v, want Progressing False (ProgressDeadlineExceeded)", d.Status.Conditions)
	}

	// helm upgrade demo --set podAnnotations.sim\.minik8s\.io/image-absent=false
	// --wait: a template no ReplicaSet has yet, whose pods start; the
	// new ReplicaSet makes Progressing True again. The annotation is set,
	// not left out: client-side apply's three-way merge takes the last
	// deployed revision (1) as the original, so it would keep an
	// annotation only the failed revision made. (Going back to revision
	// 1's template, as a rollback does, reuses its ReplicaSet; then
	// Kubernetes, and minik8s as it, keeps ProgressDeadlineExceeded until
	// that rollout completes, and Helm's watcher may take the Deployment
	// for failed when the controller first observes the new generation.)
	fix := action.NewUpgrade(cfg)
	fix.Namespace = ns
	fix.WaitStrategy, fix.Timeout = m.wait, timeout
	if err := timed(t, "upgrade --wait (fixed)", func() error {
		_, err := fix.RunWithContext(ctx, "demo", chrt, map[string]any{"podAnnotations": map[string]any{"sim.minik8s.io/image-absent": "false"}})
		return err
	}); err != nil {
		t.Fatalf("upgrade with pods that start, after a failed one: %v\n%s", err, describe(ns))
	}
	checkDeployment(t, m, ns, "demo", 1, "demo")
	if got, want := history(t, cfg, "demo", false), "1 superseded\n2 failed\n3 deployed"; got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}
}

// describe is what the Deployments, ReplicaSets and pods of ns look like,
// for a failure's message.
func describe(ns string) string {
	ctx := context.Background()
	var b strings.Builder
	cs := cluster.Client
	if ds, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, d := range ds.Items {
			fmt.Fprintf(&b, "deployment %s: generation %d, status %+v\n", d.Name, d.Generation, d.Status)
		}
	}
	if rss, err := cs.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, rs := range rss.Items {
			fmt.Fprintf(&b, "replicaset %s: spec.replicas %v, annotations %v, status %+v\n", rs.Name, *rs.Spec.Replicas, rs.Annotations, rs.Status)
		}
	}
	if pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
		for _, p := range pods.Items {
			fmt.Fprintf(&b, "pod %s: deleting %v, phase %s, conditions %+v, containers %+v\n", p.Name, p.DeletionTimestamp != nil, p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses)
		}
	}
	return b.String()
}
