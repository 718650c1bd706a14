package helm

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	release "helm.sh/helm/v4/pkg/release/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// gadgets is the resource of testdata/crdhooks' CustomResourceDefinition.
var gadgets = schema.GroupVersionResource{Group: "helm.minik8s.io", Version: "v1", Resource: "gadgets"}

const gadgetsCRD = "gadgets.helm.minik8s.io"

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// removeGadgetsCRD deletes testdata/crdhooks' CRD, which a test's release
// installs and Helm never deletes, when the test ends, and waits for it to
// go, so that the next test's install makes it anew.
func removeGadgetsCRD(t *testing.T) {
	t.Cleanup(func() {
		dyn, err := dynamic.NewForConfig(cluster.Config)
		if err != nil {
			t.Error(err)
			return
		}
		crds := dyn.Resource(crdResource)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := crds.Delete(ctx, gadgetsCRD, metav1.DeleteOptions{}); apierrors.IsNotFound(err) {
			return
		} else if err != nil {
			t.Errorf("delete CRD: %v", err)
			return
		}
		for {
			_, err := crds.Get(ctx, gadgetsCRD, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return
			}
			select {
			case <-ctx.Done():
				t.Errorf("CRD %s not deleted within 30s: %v", gadgetsCRD, err)
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// TestCRDAndHooks installs testdata/crdhooks: Helm creates the CRD from
// crds/ first and waits for it to be established, runs the pre-install
// hook Job and waits for it to complete (copying its pod's log), then
// creates a custom resource of the new kind beside a ConfigMap. An upgrade
// changes both and runs the post-upgrade hook Job, which Helm deletes
// once it succeeded; uninstall --wait removes the release's objects and
// leaves the CRD, as Helm does.
func TestCRDAndHooks(t *testing.T) {
	forEachMode(t, testCRDAndHooks)
}

func testCRDAndHooks(t *testing.T, m mode) {
	ns := cluster.NewNamespace(t)
	ctx := t.Context()
	cs := cluster.Client
	dyn, err := dynamic.NewForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	crds := dyn.Resource(crdResource)
	removeGadgetsCRD(t)

	chrt, err := loader.Load("testdata/crdhooks")
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	var hookOut bytes.Buffer
	cfg := newConfig(t, ns, &hookOut)

	// helm install hooks --wait
	inst := newInstall(cfg, m, ns, "hooks", false)
	var rel any
	if err := timed(t, "install --wait", func() (err error) { rel, err = inst.RunWithContext(ctx, chrt, nil); return }); err != nil {
		t.Fatalf("install: %v", err)
	}
	r := asRelease(t, rel)
	if h := hook(t, r, release.HookPreInstall); h.LastRun.Phase != release.HookPhaseSucceeded {
		t.Errorf("pre-install hook: phase %q, want Succeeded", h.LastRun.Phase)
	}
	if !strings.Contains(hookOut.String(), "pre-install hook ran") {
		t.Errorf("hook output Helm copied: %q, want the pre-install pod's log", hookOut.String())
	}
	crd, err := crds.Get(ctx, gadgetsCRD, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("CRD from crds/: %v", err)
	}
	if !established(crd) {
		t.Errorf("CRD not Established: %v", crd.Object["status"])
	}
	// The pre-install Job completed before the chart's objects were made.
	job, err := cs.BatchV1().Jobs(ns).Get(ctx, "hooks-pre-install", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("pre-install job: %v", err)
	}
	if job.Status.Succeeded != 1 || !jobCondition(job, batchv1.JobComplete) || job.Status.CompletionTime == nil {
		t.Fatalf("pre-install job: status %+v, want one pod succeeded and Complete", job.Status)
	}
	cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "hooks-config", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("configmap: %v", err)
	}
	nsObj, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Rendered with what the API server said: discovery (the CRD's kind
	// served once crds/ was installed), /version, and lookup.
	want := map[string]string{"size": "1", "revision": "1", "gadgets-served": "true", "kube-at-least-1.19": "true", "namespace-uid": string(nsObj.UID)}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("configmap data %v, want %v", cm.Data, want)
			break
		}
	}
	if cm.CreationTimestamp.Before(job.Status.CompletionTime) {
		t.Errorf("configmap created at %s, before the pre-install job completed (%s)", cm.CreationTimestamp, job.Status.CompletionTime)
	}
	checkGadget(t, dyn, ns, 1)
	checkStorage(t, ns, "hooks", "deployed")

	// helm install hooks-dry --dry-run=server renders with lookup, and
	// keeps nothing.
	if m := dryRun(t, cfg, m, ns, "hooks-dry", chrt).Manifest; !strings.Contains(m, "namespace-uid: \""+string(nsObj.UID)+"\"") {
		t.Errorf("dry run's manifest without the namespace's UID (lookup):\n%s", m)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "hooks-dry-config", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("configmap after a dry run: %v, want NotFound", err)
	}
	if _, err := cs.BatchV1().Jobs(ns).Get(ctx, "hooks-dry-pre-install", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("hook job after a dry run: %v, want NotFound", err)
	}

	// helm upgrade hooks --set size=3 --wait: the post-upgrade hook runs,
	// and is deleted once it succeeded (hook-succeeded).
	up := action.NewUpgrade(cfg)
	up.Namespace = ns
	up.WaitStrategy, up.Timeout = m.wait, timeout
	if err := timed(t, "upgrade --wait", func() (err error) {
		rel, err = up.RunWithContext(ctx, "hooks", chrt, map[string]any{"size": 3})
		return
	}); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	r = asRelease(t, rel)
	if h := hook(t, r, release.HookPostUpgrade); h.LastRun.Phase != release.HookPhaseSucceeded {
		t.Errorf("post-upgrade hook: phase %q, want Succeeded", h.LastRun.Phase)
	}
	if _, err := cs.BatchV1().Jobs(ns).Get(ctx, "hooks-post-upgrade", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("post-upgrade job after it succeeded: %v, want NotFound (hook-succeeded)", err)
	}
	checkGadget(t, dyn, ns, 3)
	cm, err = cs.CoreV1().ConfigMaps(ns).Get(ctx, "hooks-config", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("configmap: %v", err)
	}
	if cm.Data["size"] != "3" || cm.Data["revision"] != "2" {
		t.Errorf("configmap data after upgrade %v, want size 3, revision 2", cm.Data)
	}
	checkStorage(t, ns, "hooks", "superseded", "deployed")

	// helm uninstall hooks --wait
	un := action.NewUninstall(cfg)
	un.WaitStrategy, un.Timeout = m.wait, timeout
	if err := timed(t, "uninstall --wait", func() error { _, err := un.Run("hooks"); return err }); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if _, err := dyn.Resource(gadgets).Namespace(ns).Get(ctx, "hooks-gadget", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("gadget after uninstall --wait: %v, want NotFound", err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, "hooks-config", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("configmap after uninstall --wait: %v, want NotFound", err)
	}
	if _, err := crds.Get(ctx, gadgetsCRD, metav1.GetOptions{}); err != nil {
		t.Errorf("CRD after uninstall: %v (Helm leaves CRDs)", err)
	}
	checkStorage(t, ns, "hooks")
}

// hook returns the release's hook for event e.
func hook(t *testing.T, r *release.Release, e release.HookEvent) *release.Hook {
	t.Helper()
	for _, h := range r.Hooks {
		for _, ev := range h.Events {
			if ev == e {
				return h
			}
		}
	}
	t.Fatalf("release %s has no %s hook", r.Name, e)
	return nil
}

// checkGadget checks the release's custom resource: its size, and the
// color the CRD's schema defaults.
func checkGadget(t *testing.T, dyn dynamic.Interface, ns string, size int64) {
	t.Helper()
	g, err := dyn.Resource(gadgets).Namespace(ns).Get(t.Context(), "hooks-gadget", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("gadget: %v", err)
	}
	got, _, _ := unstructured.NestedInt64(g.Object, "spec", "size")
	color, _, _ := unstructured.NestedString(g.Object, "spec", "color")
	if got != size || color != "grey" {
		t.Errorf("gadget spec %v, want size %d and the default color grey", g.Object["spec"], size)
	}
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func jobCondition(j *batchv1.Job, typ batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == typ && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
