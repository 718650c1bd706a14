package operator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	minik8s "github.com/minik8s/minik8s/e2e/clientgo/cluster"
)

// cluster is the minik8s cluster the operator runs against, started by
// TestMain; operatorLog is where controller-runtime logs.
var (
	cluster     *minik8s.Cluster
	operatorLog string
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "minik8s-operator-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	operatorLog = filepath.Join(dir, "operator.log")
	f, err := os.Create(operatorLog)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	ctrl.SetLogger(zap.New(zap.WriteTo(f), zap.UseDevMode(true)))
	c, err := minik8s.Start(dir, minik8s.Options{Nodes: 2})
	if err != nil {
		c.DumpLogs(os.Stderr)
		fmt.Fprintf(os.Stderr, "start minik8s: %v\n", err)
		return 1
	}
	cluster = c
	code := m.Run()
	if code != 0 {
		c.DumpLogs(os.Stderr)
		if b, err := os.ReadFile(operatorLog); err == nil {
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			if len(lines) > 80 {
				lines = lines[len(lines)-80:]
			}
			fmt.Fprintf(os.Stderr, "--- last lines of the operator's log\n%s\n", strings.Join(lines, "\n"))
		}
	}
	c.Stop()
	return code
}

// replica is one running replica of the operator.
type replica struct {
	mgr    manager.Manager
	cancel context.CancelFunc
	done   chan error
}

// startReplica installs the CRD and starts a replica, as the operator's
// main does; it is stopped when the test ends.
func startReplica(t *testing.T, leaseNS string) *replica {
	t.Helper()
	mgr, err := New(t.Context(), cluster.Config, Options{
		LeaseNamespace: leaseNS,
		LeaseDuration:  6 * time.Second, RenewDeadline: 4 * time.Second, RetryPeriod: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("operator: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{mgr: mgr, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- mgr.Start(ctx) }()
	t.Cleanup(r.stop)
	return r
}

// stop stops the replica and waits for it: with ReleaseOnCancel, a leader
// gives its Lease up on the way out.
func (r *replica) stop() {
	r.cancel()
	<-r.done
	r.done <- nil // for a second stop
}

func (r *replica) elected() bool {
	select {
	case <-r.mgr.Elected():
		return true
	default:
		return false
	}
}

// newClient is a controller-runtime client that knows Widgets, for the
// test's own requests.
func newClient(t *testing.T) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lease returns the operator's Lease holder and renew time.
func lease(ctx context.Context, ns string) (string, time.Time, error) {
	l, err := cluster.Client.CoordinationV1().Leases(ns).Get(ctx, LeaseName, metav1.GetOptions{})
	if err != nil {
		return "", time.Time{}, err
	}
	var renew time.Time
	if l.Spec.RenewTime != nil {
		renew = l.Spec.RenewTime.Time
	}
	return ptr.Deref(l.Spec.HolderIdentity, ""), renew, nil
}

// TestOperator runs the Widget operator against minik8s: each replica
// installs the CRD (the second finds it there), the two elect a leader
// with a Lease, the leader reconciles Widgets into Deployments with status
// written through /status, and when it stops the other replica takes
// over.
func TestOperator(t *testing.T) {
	ns := cluster.NewNamespace(t)
	ctx := t.Context()
	c := newClient(t)

	// The operator installs its CRD, which the API server then serves.
	a := startReplica(t, ns)
	if _, err := cluster.Client.Discovery().ServerResourcesForGroupVersion(GroupVersion.String()); err != nil {
		t.Fatalf("discovery of %s after the CRD is Established: %v", GroupVersion, err)
	}
	minik8s.Eventually(t, 30*time.Second, "replica a elected", func(context.Context) error {
		if !a.elected() {
			return errors.New("not elected")
		}
		return nil
	})
	holderA, renewed, err := lease(ctx, ns)
	if err != nil || holderA == "" {
		t.Fatalf("lease after a is elected: %q, %v", holderA, err)
	}

	// A second replica waits while the first holds the Lease and renews it.
	b := startReplica(t, ns)
	for range 2 {
		minik8s.Eventually(t, 20*time.Second, "lease renewed", func(ctx context.Context) error {
			holder, renew, err := lease(ctx, ns)
			if err != nil {
				return err
			}
			if holder != holderA {
				return fmt.Errorf("lease held by %q, not %q", holder, holderA)
			}
			if !renew.After(renewed) {
				return errors.New("not renewed yet")
			}
			renewed = renew
			return nil
		})
	}
	if b.elected() {
		t.Fatal("replica b elected while a holds the lease")
	}

	// A Widget without replicas gets the schema's default.
	w := &Widget{ObjectMeta: metav1.ObjectMeta{Name: "w1", Namespace: ns}, Spec: WidgetSpec{Image: "minik8s/hello:1"}}
	if err := c.Create(ctx, w); err != nil {
		t.Fatalf("create widget: %v", err)
	}
	if w.Spec.Replicas == nil || *w.Spec.Replicas != 1 || w.Generation != 1 {
		t.Fatalf("created widget: replicas %v, generation %d; want the default 1 and generation 1", w.Spec.Replicas, w.Generation)
	}

	// The schema's bounds are enforced with Kubernetes' message.
	bad := &Widget{ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: ns}, Spec: WidgetSpec{Image: "x", Replicas: ptr.To[int32](100)}}
	err = c.Create(ctx, bad)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.replicas: Invalid value: 100: spec.replicas in body should be less than or equal to 50") {
		t.Fatalf("widget with 100 replicas: got %v, want 422 naming spec.replicas", err)
	}

	// The leader reconciles the Widget into a Deployment it owns, and
	// reports progress in the Widget's status.
	waitDeployment(t, c, ns, "w1", 1, "minik8s/hello:1")
	waitStatus(t, c, ns, "w1", 1)

	// The status went through /status: the writes did not bump the
	// generation, and a write of the Widget itself leaves status alone.
	var cur Widget
	// The operator may write the status between a read and a write here:
	// a 409 then, and the test reads again, as any client would.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "w1"}, &cur); err != nil {
			return err
		}
		if cur.Generation != 1 {
			t.Errorf("generation after status writes: %d, want 1", cur.Generation)
		}
		cur.Status.ReadyReplicas = 42
		cur.Labels = map[string]string{"touched": "yes"}
		return c.Update(ctx, &cur)
	})
	if err != nil {
		t.Fatalf("update widget: %v", err)
	}
	if cur.Status.ReadyReplicas != 1 || cur.Generation != 1 {
		t.Errorf("after a write of the widget with a status: readyReplicas %d, generation %d; want 1 and 1", cur.Status.ReadyReplicas, cur.Generation)
	}

	// Scaling through /scale (as kubectl scale does) reaches the
	// Deployment.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale := &autoscalingv1.Scale{}
		if err := c.SubResource("scale").Get(ctx, &cur, scale); err != nil {
			return err
		}
		if scale.Spec.Replicas != 1 || scale.Status.Replicas != 1 {
			t.Errorf("scale: spec %d, status %d; want 1 and 1", scale.Spec.Replicas, scale.Status.Replicas)
		}
		scale.Spec.Replicas = 3
		return c.SubResource("scale").Update(ctx, &cur, client.WithSubResourceBody(scale))
	})
	if err != nil {
		t.Fatalf("scale widget: %v", err)
	}
	waitDeployment(t, c, ns, "w1", 3, "minik8s/hello:1")
	waitStatus(t, c, ns, "w1", 3)

	// The leader stops (giving the Lease up); the other replica takes
	// over and reconciles the next change.
	a.stop()
	minik8s.Eventually(t, 30*time.Second, "replica b elected", func(context.Context) error {
		if !b.elected() {
			return errors.New("not elected")
		}
		return nil
	})
	minik8s.Eventually(t, 10*time.Second, "lease moved to b", func(ctx context.Context) error {
		holder, _, err := lease(ctx, ns)
		if err != nil {
			return err
		}
		if holder == "" || holder == holderA {
			return fmt.Errorf("lease held by %q", holder)
		}
		return nil
	})
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "w1"}, &cur); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(cur.DeepCopyObject().(*Widget))
	cur.Spec.Image = "minik8s/hello:2"
	if err := c.Patch(ctx, &cur, patch); err != nil {
		t.Fatalf("patch widget: %v", err)
	}
	waitDeployment(t, c, ns, "w1", 3, "minik8s/hello:2")

	// Deleting the Widget leaves its Deployment to the garbage collector.
	if err := c.Delete(ctx, &cur); err != nil {
		t.Fatalf("delete widget: %v", err)
	}
	minik8s.Eventually(t, 10*time.Second, "widget deleted", func(ctx context.Context) error {
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "w1"}, &Widget{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("widget still there (%v)", err)
	})
	t.Run("deployment collected", func(t *testing.T) {
		minik8s.Eventually(t, 30*time.Second, "deployment collected", func(ctx context.Context) error {
			var d appsv1.Deployment
			err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "w1"}, &d)
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("deployment still there (%v)", err)
		})
	})
}

// waitDeployment waits for the Widget's Deployment to have replicas and
// image, and to be owned by the Widget.
func waitDeployment(t *testing.T, c client.Client, ns, name string, replicas int32, image string) {
	t.Helper()
	minik8s.Eventually(t, 30*time.Second, fmt.Sprintf("deployment %s with %d × %s", name, replicas, image), func(ctx context.Context) error {
		var d appsv1.Deployment
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &d); err != nil {
			return err
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != replicas {
			return fmt.Errorf("replicas %v", d.Spec.Replicas)
		}
		if cs := d.Spec.Template.Spec.Containers; len(cs) != 1 || cs[0].Image != image {
			return fmt.Errorf("containers %v", cs)
		}
		owner := metav1.GetControllerOf(&d)
		if owner == nil || owner.Kind != "Widget" || owner.Name != name || owner.APIVersion != GroupVersion.String() {
			return fmt.Errorf("controller %v", owner)
		}
		return nil
	})
}

// waitStatus waits for the Widget's status to report ready replicas, for
// its current generation, with the Available condition.
func waitStatus(t *testing.T, c client.Client, ns, name string, ready int32) {
	t.Helper()
	minik8s.Eventually(t, 60*time.Second, fmt.Sprintf("widget %s status with %d ready", name, ready), func(ctx context.Context) error {
		var w Widget
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &w); err != nil {
			return err
		}
		s := w.Status
		if s.Deployment != name || s.ReadyReplicas != ready || s.ObservedGeneration != w.Generation {
			return fmt.Errorf("status %+v (generation %d)", s, w.Generation)
		}
		for _, cond := range s.Conditions {
			if cond.Type == "Available" && cond.Status == metav1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("not Available: %+v", s.Conditions)
	})
}
