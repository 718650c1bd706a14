package operator

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// WidgetReconciler makes a Widget's Deployment match its spec and reports
// the Deployment's progress in the Widget's status.
type WidgetReconciler struct {
	client.Client
	Scheme *runtime.Scheme
}

// widgetLabel selects a Widget's pods.
const widgetLabel = Group + "/widget"

// Reconcile is level-triggered: it reads the Widget and its Deployment and
// writes what differs, whatever event woke it.
func (r *WidgetReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var w Widget
	if err := r.Get(ctx, req.NamespacedName, &w); err != nil {
		// Deleted: garbage collection removes the Deployment it owned.
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !w.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: w.Name, Namespace: w.Namespace}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.Client, d, func() error {
		replicas := int32(1)
		if w.Spec.Replicas != nil {
			replicas = *w.Spec.Replicas
		}
		d.Spec.Replicas = &replicas
		labels := map[string]string{widgetLabel: w.Name}
		if d.Spec.Selector == nil { // immutable once set
			d.Spec.Selector = &metav1.LabelSelector{MatchLabels: labels}
		}
		d.Spec.Template.Labels = labels
		// Change only what the Widget decides, so that the server's
		// defaults do not read as a difference on every pass.
		if c := d.Spec.Template.Spec.Containers; len(c) == 1 && c[0].Name == "widget" {
			c[0].Image = w.Spec.Image
		} else {
			d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "widget", Image: w.Spec.Image}}
		}
		return controllerutil.SetControllerReference(&w, d, r.Scheme)
	}); err != nil {
		return ctrl.Result{}, fmt.Errorf("deployment %s: %w", d.Name, err)
	}

	status := *w.Status.DeepCopy()
	status.Deployment = d.Name
	status.ReadyReplicas = d.Status.ReadyReplicas
	status.ObservedGeneration = w.Generation
	available := metav1.Condition{Type: "Available", Status: metav1.ConditionFalse, Reason: "Progressing",
		Message: fmt.Sprintf("%d of %d replicas ready", d.Status.ReadyReplicas, *d.Spec.Replicas), ObservedGeneration: w.Generation}
	if d.Status.ReadyReplicas >= *d.Spec.Replicas && d.Status.ObservedGeneration >= d.Generation {
		available.Status, available.Reason = metav1.ConditionTrue, "ReplicasReady"
	}
	meta.SetStatusCondition(&status.Conditions, available)
	if equality.Semantic.DeepEqual(status, w.Status) {
		return ctrl.Result{}, nil
	}
	w.Status = status
	// Through the status subresource: a spec the client sends there is
	// ignored, and this write does not bump the Widget's generation.
	if err := r.Status().Update(ctx, &w); err != nil {
		return ctrl.Result{}, fmt.Errorf("widget status: %w", err)
	}
	return ctrl.Result{}, nil
}

// DeepCopy copies a WidgetStatus.
func (s *WidgetStatus) DeepCopy() *WidgetStatus { return deepCopyJSON(s) }

// Options configure one replica of the operator.
type Options struct {
	// LeaseNamespace holds the replicas' Lease.
	LeaseNamespace string
	// LeaseDuration, RenewDeadline and RetryPeriod are the leader
	// election's timings (client-go's meanings).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// LeaseName is the Lease the operator's replicas elect a leader with.
const LeaseName = "widget-operator"

// NewManager builds one replica of the operator: a controller-runtime
// manager that leader-elects with a Lease and, while it leads, runs the
// Widget controller (which watches Widgets and the Deployments they own).
func NewManager(cfg *rest.Config, o Options) (manager.Manager, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := AddToScheme(scheme); err != nil {
		return nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress:        "0",
		LeaderElection:                true,
		LeaderElectionID:              LeaseName,
		LeaderElectionNamespace:       o.LeaseNamespace,
		LeaderElectionResourceLock:    "leases",
		LeaderElectionReleaseOnCancel: true,
		LeaseDuration:                 &o.LeaseDuration,
		RenewDeadline:                 &o.RenewDeadline,
		RetryPeriod:                   &o.RetryPeriod,
		// Several replicas run in one test process: controller names
		// are unique per process otherwise.
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, fmt.Errorf("new manager: %w", err)
	}
	err = ctrl.NewControllerManagedBy(mgr).
		For(&Widget{}).
		Owns(&appsv1.Deployment{}).
		Named("widget").
		Complete(&WidgetReconciler{Client: mgr.GetClient(), Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("widget controller: %w", err)
	}
	return mgr, nil
}

// New is what a replica of the operator does before it starts: install
// (or update) the CRD, wait until it is served, and build the manager.
func New(ctx context.Context, cfg *rest.Config, o Options) (manager.Manager, error) {
	if err := InstallCRD(ctx, cfg); err != nil {
		return nil, err
	}
	return NewManager(cfg, o)
}

// Run is the operator's main: New, then the manager until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	mgr, err := New(ctx, cfg, o)
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}
