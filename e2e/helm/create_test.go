package helm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/release/common"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestCreatedChart installs the chart `helm create` makes (a Deployment,
// a Service, a ServiceAccount; nginx, whose probes simulated nodes pass)
// and takes it through a release's life: install --wait, status, get
// manifest, install --dry-run=server of a second release, upgrade --wait
// to two replicas, history, rollback --wait, uninstall --wait.
func TestCreatedChart(t *testing.T) {
	forEachMode(t, testCreatedChart)
}

func testCreatedChart(t *testing.T, m mode) {
	ns := cluster.NewNamespace(t)
	ctx := t.Context()
	cs := cluster.Client
	chrt := createdChart(t)
	cfg := newConfig(t, ns, nil)
	method := map[bool]string{false: "csa", true: "ssa"}[m.ssa]

	// helm install demo --wait
	inst := newInstall(cfg, m, ns, "demo", false)
	var rel any
	if err := timed(t, "install --wait", func() (err error) { rel, err = inst.RunWithContext(ctx, chrt, nil); return }); err != nil {
		t.Fatalf("install: %v", err)
	}
	r := asRelease(t, rel)
	if r.Info.Status != common.StatusDeployed || r.Version != 1 || r.ApplyMethod != method {
		t.Fatalf("installed release: status %q, revision %d, apply method %q; want deployed, 1, %s", r.Info.Status, r.Version, r.ApplyMethod, method)
	}
	// --wait returned: the Deployment's pod is ready, and says so.
	checkDeployment(t, m, ns, "demo", 1, "demo")
	svc, err := cs.CoreV1().Services(ns).Get(ctx, "demo", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	if svc.Spec.ClusterIP == "" || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 {
		t.Errorf("service: cluster IP %q, ports %+v", svc.Spec.ClusterIP, svc.Spec.Ports)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "demo", metav1.GetOptions{}); err != nil {
		t.Errorf("service account: %v", err)
	}
	checkStorage(t, ns, "demo", "deployed")

	// helm status demo --show-resources: the release and its objects (as
	// server-side tables, as the CLI asks), with the Deployment's pods.
	st := action.NewStatus(cfg)
	st.ShowResourcesTable = true
	got, err := st.Run("demo")
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	r = asRelease(t, got)
	if r.Info.Status != common.StatusDeployed {
		t.Errorf("status: %q", r.Info.Status)
	}
	for _, vk := range []string{"v1/Deployment", "v1/Service", "v1/ServiceAccount", "v1/Pod(related)"} {
		if len(r.Info.Resources[vk]) == 0 {
			t.Errorf("status --show-resources: no %s among %v", vk, keys(r.Info.Resources))
		}
	}

	// helm list
	list, err := action.NewList(cfg).Run()
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list) != 1 || asRelease(t, list[0]).Name != "demo" {
		t.Errorf("list: %d releases %v, want demo alone", len(list), list)
	}

	// helm get manifest demo
	got, err = action.NewGet(cfg).Run("demo")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	manifest := asRelease(t, got).Manifest
	for _, want := range []string{"kind: ServiceAccount", "kind: Service", "kind: Deployment", "name: demo"} {
		if !strings.Contains(manifest, want) {
			t.Errorf("get manifest: no %q in\n%s", want, manifest)
		}
	}

	// helm install demo-dry --dry-run=server: rendered and sent with
	// dryRun=All, nothing kept, no release stored.
	if m := dryRun(t, cfg, m, ns, "demo-dry", chrt).Manifest; !strings.Contains(m, "name: demo-dry") {
		t.Errorf("dry run's manifest does not name demo-dry:\n%s", m)
	}
	if _, err := cs.AppsV1().Deployments(ns).Get(ctx, "demo-dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("deployment after a dry run: %v, want NotFound", err)
	}
	if _, err := cs.CoreV1().Services(ns).Get(ctx, "demo-dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("service after a dry run: %v, want NotFound", err)
	}
	// A dry run finds the objects another release owns.
	_, err = newInstall(cfg, m, ns, "demo-clash", true).RunWithContext(ctx, chrt, map[string]any{"fullnameOverride": "demo"})
	if err == nil || !strings.Contains(err.Error(), "exists and cannot be imported into the current release") ||
		!strings.Contains(err.Error(), `key "meta.helm.sh/release-name" must equal "demo-clash": current value is "demo"`) {
		t.Errorf("dry run of a release whose objects another owns: %v", err)
	}

	// helm upgrade demo --set replicaCount=2 --set serviceAccount.create=false
	// --set ingress.enabled=true --wait: the Deployment scales, the
	// ServiceAccount the chart no longer makes is deleted, an Ingress is
	// made.
	up := action.NewUpgrade(cfg)
	up.Namespace = ns
	up.WaitStrategy, up.Timeout = m.wait, timeout
	if err := timed(t, "upgrade --wait", func() (err error) {
		rel, err = up.RunWithContext(ctx, "demo", chrt, map[string]any{
			"replicaCount":   2,
			"serviceAccount": map[string]any{"create": false},
			"ingress":        map[string]any{"enabled": true},
		})
		return
	}); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if r := asRelease(t, rel); r.Version != 2 || r.Info.Status != common.StatusDeployed || r.ApplyMethod != method {
		t.Fatalf("upgraded release: revision %d, status %q, apply method %q", r.Version, r.Info.Status, r.ApplyMethod)
	}
	checkDeployment(t, m, ns, "demo", 2, "default")
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "demo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("service account the upgrade dropped: %v, want NotFound", err)
	}
	if ing, err := cs.NetworkingV1().Ingresses(ns).Get(ctx, "demo", metav1.GetOptions{}); err != nil {
		t.Errorf("ingress the upgrade made: %v", err)
	} else if len(ing.Spec.Rules) != 1 || ing.Spec.Rules[0].Host != "chart-example.local" {
		t.Errorf("ingress rules %+v", ing.Spec.Rules)
	}
	checkStorage(t, ns, "demo", "superseded", "deployed")

	// helm rollback demo 1 --wait
	rb := action.NewRollback(cfg)
	rb.Version = 1
	rb.WaitStrategy, rb.Timeout = m.wait, timeout
	if err := timed(t, "rollback --wait", func() error { return rb.Run("demo") }); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	checkDeployment(t, m, ns, "demo", 1, "demo")
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "demo", metav1.GetOptions{}); err != nil {
		t.Errorf("service account after the rollback: %v", err)
	}
	if _, err := cs.NetworkingV1().Ingresses(ns).Get(ctx, "demo", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ingress after the rollback: %v, want NotFound", err)
	}

	// helm history demo
	want := "1 superseded Install complete\n2 superseded Upgrade complete\n3 deployed Rollback to 1"
	if got := history(t, cfg, "demo", true); got != want {
		t.Errorf("history:\n%s\nwant:\n%s", got, want)
	}
	checkStorage(t, ns, "demo", "superseded", "superseded", "deployed")

	// helm uninstall demo --wait: the objects are gone when it returns,
	// and so is the release's history.
	un := action.NewUninstall(cfg)
	un.WaitStrategy, un.Timeout = m.wait, timeout
	if err := timed(t, "uninstall --wait", func() error { _, err := un.Run("demo"); return err }); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	for what, get := range map[string]func() error{
		"deployment": func() error { _, err := cs.AppsV1().Deployments(ns).Get(ctx, "demo", metav1.GetOptions{}); return err },
		"service":    func() error { _, err := cs.CoreV1().Services(ns).Get(ctx, "demo", metav1.GetOptions{}); return err },
		"service account": func() error {
			_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "demo", metav1.GetOptions{})
			return err
		},
	} {
		if err := get(); !apierrors.IsNotFound(err) {
			t.Errorf("%s after uninstall --wait: %v, want NotFound", what, err)
		}
	}
	checkStorage(t, ns, "demo")
	// Its pods go after it, deleted by the garbage collector.
	eventually(t, "the release's pods deleted", func(ctx context.Context) error {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=demo"})
		if err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods left", len(pods.Items))
		}
		return nil
	})
}

// checkDeployment checks that Deployment name has replicas pods, all
// updated, ready and available, running as serviceAccount, and that its
// status is of its current generation. Helm's watcher (kstatus) promises
// all of it when --wait returns, so it is checked at once; the legacy
// waiter promises the observed generation and enough ready pods in the
// new ReplicaSet, so there the Deployment's counts may lag a moment.
func checkDeployment(t *testing.T, m mode, ns, name string, replicas int32, serviceAccount string) {
	t.Helper()
	var observed bool
	check := func(ctx context.Context) error {
		d, err := cluster.Client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s := d.Status
		if d.Spec.Replicas == nil || *d.Spec.Replicas != replicas || d.Spec.Template.Spec.ServiceAccountName != serviceAccount || s.ObservedGeneration != d.Generation {
			return fmt.Errorf("generation %d, spec.replicas %v, service account %q, observed generation %d; want %d replicas as %s, observed",
				d.Generation, d.Spec.Replicas, d.Spec.Template.Spec.ServiceAccountName, s.ObservedGeneration, replicas, serviceAccount)
		}
		observed = true
		if s.Replicas != replicas || s.UpdatedReplicas != replicas || s.ReadyReplicas != replicas || s.AvailableReplicas != replicas {
			return fmt.Errorf("status %+v; want %d replicas, all updated, ready and available", s, replicas)
		}
		return nil
	}
	err := check(t.Context())
	switch {
	case err == nil:
	case m.wait == kube.LegacyStrategy && observed:
		eventually(t, "deployment "+name+"'s counts", check)
	default:
		t.Fatalf("deployment %s after --wait: %v", name, err)
	}
}

// checkStorage checks the release's records, Secrets that Helm selects by
// label (owner=helm, name=release), one per revision in order, each of
// type helm.sh/release.v1 with its status in a label.
func checkStorage(t *testing.T, ns, name string, statuses ...string) {
	t.Helper()
	list, err := cluster.Client.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + name})
	if err != nil {
		t.Fatalf("list release secrets: %v", err)
	}
	got := map[string]corev1.Secret{}
	for _, s := range list.Items {
		got[s.Labels["version"]] = s
	}
	if len(list.Items) != len(statuses) {
		t.Fatalf("release %s: %d secrets, want %d (%v)", name, len(list.Items), len(statuses), statuses)
	}
	for i, status := range statuses {
		v := fmt.Sprint(i + 1)
		s, ok := got[v]
		if !ok {
			t.Errorf("release %s: no secret for revision %s", name, v)
			continue
		}
		if s.Type != "helm.sh/release.v1" || s.Labels["status"] != status || s.Name != fmt.Sprintf("sh.helm.release.v1.%s.v%s", name, v) || len(s.Data["release"]) == 0 {
			t.Errorf("release %s revision %s: secret %s of type %q, labels %v, %d bytes; want type helm.sh/release.v1, status %s",
				name, v, s.Name, s.Type, s.Labels, len(s.Data["release"]), status)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
