package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/controllers/cronjob"
	"github.com/minik8s/minik8s/controllers/daemonset"
	"github.com/minik8s/minik8s/controllers/deployment"
	"github.com/minik8s/minik8s/controllers/disruption"
	"github.com/minik8s/minik8s/controllers/endpoints"
	"github.com/minik8s/minik8s/controllers/gc"
	"github.com/minik8s/minik8s/controllers/hpa"
	"github.com/minik8s/minik8s/controllers/job"
	"github.com/minik8s/minik8s/controllers/namespace"
	"github.com/minik8s/minik8s/controllers/nodelifecycle"
	"github.com/minik8s/minik8s/controllers/podgc"
	"github.com/minik8s/minik8s/controllers/replicaset"
	"github.com/minik8s/minik8s/controllers/resourcequota"
	"github.com/minik8s/minik8s/controllers/rolebinding"
	"github.com/minik8s/minik8s/controllers/serviceaccount"
	"github.com/minik8s/minik8s/controllers/statefulset"
	"github.com/minik8s/minik8s/events"
	"github.com/minik8s/minik8s/informer"
)

// Config tunes the controllers a Manager runs.
type Config struct {
	// Concurrent*Syncs are the workers of each controller: how many objects
	// it reconciles at once.
	ConcurrentReplicaSetSyncs int `yaml:"concurrentReplicaSetSyncs"`
	ConcurrentDeploymentSyncs int `yaml:"concurrentDeploymentSyncs"`
	ConcurrentGCSyncs         int `yaml:"concurrentGCSyncs"`
	ConcurrentNamespaceSyncs  int `yaml:"concurrentNamespaceSyncs"`
	// ConcurrentEndpointSyncs and ConcurrentServiceEndpointSyncs are the
	// workers of the Endpoints and EndpointSlice controllers.
	ConcurrentEndpointSyncs        int `yaml:"concurrentEndpointSyncs"`
	ConcurrentServiceEndpointSyncs int `yaml:"concurrentServiceEndpointSyncs"`
	ConcurrentJobSyncs             int `yaml:"concurrentJobSyncs"`
	ConcurrentCronJobSyncs         int `yaml:"concurrentCronJobSyncs"`
	ConcurrentDaemonSetSyncs       int `yaml:"concurrentDaemonSetSyncs"`
	ConcurrentStatefulSetSyncs     int `yaml:"concurrentStatefulSetSyncs"`
	// NodeMonitorPeriod is how often node heartbeats are checked, and
	// NodeMonitorGracePeriod how long a node may be silent before it is
	// marked Unknown and tainted unreachable.
	NodeMonitorPeriod      time.Duration `yaml:"nodeMonitorPeriod"`
	NodeMonitorGracePeriod time.Duration `yaml:"nodeMonitorGracePeriod"`
	// ResyncPeriod is how often the shared informers re-deliver every
	// object, so that a missed or mishandled event heals.
	ResyncPeriod time.Duration `yaml:"resyncPeriod"`
	// ReplicaSet tunes the ReplicaSet controller.
	ReplicaSet replicaset.Config `yaml:"replicaSet"`
	// Job tunes the Job controller.
	Job job.Config `yaml:"job"`
	// HorizontalPodAutoscaler tunes the HPA controller.
	HorizontalPodAutoscaler hpa.Config `yaml:"horizontalPodAutoscaler"`
	// PodGC tunes the pod garbage collector.
	PodGC podgc.Config `yaml:"podGC"`
}

// DefaultConfig returns kube-controller-manager's defaults: 5 ReplicaSet
// and Deployment workers, 20 for the garbage collector, 10 for namespaces,
// node heartbeats checked every 5s with 40s of grace; informers resync
// every 10 minutes.
func DefaultConfig() Config {
	nl := nodelifecycle.DefaultConfig()
	return Config{
		ConcurrentReplicaSetSyncs:      5,
		ConcurrentDeploymentSyncs:      5,
		ConcurrentGCSyncs:              20,
		ConcurrentNamespaceSyncs:       10,
		ConcurrentEndpointSyncs:        5,
		ConcurrentServiceEndpointSyncs: 5,
		NodeMonitorPeriod:              nl.MonitorPeriod,
		NodeMonitorGracePeriod:         nl.GracePeriod,
		ResyncPeriod:                   10 * time.Minute,
		ReplicaSet:                     replicaset.DefaultConfig(),
		ConcurrentJobSyncs:             5,
		ConcurrentCronJobSyncs:         5,
		ConcurrentDaemonSetSyncs:       2,
		ConcurrentStatefulSetSyncs:     5,
		Job:                            job.DefaultConfig(),
		HorizontalPodAutoscaler:        hpa.DefaultConfig(),
		PodGC:                          podgc.DefaultConfig(),
	}
}

// Validate reports settings the controllers cannot run with.
func (c Config) Validate() error {
	var errs []error
	for name, n := range map[string]int{
		"concurrentReplicaSetSyncs":      c.ConcurrentReplicaSetSyncs,
		"concurrentDeploymentSyncs":      c.ConcurrentDeploymentSyncs,
		"concurrentGCSyncs":              c.ConcurrentGCSyncs,
		"concurrentNamespaceSyncs":       c.ConcurrentNamespaceSyncs,
		"concurrentEndpointSyncs":        c.ConcurrentEndpointSyncs,
		"concurrentServiceEndpointSyncs": c.ConcurrentServiceEndpointSyncs,
		"concurrentJobSyncs":             c.ConcurrentJobSyncs,
		"concurrentCronJobSyncs":         c.ConcurrentCronJobSyncs,
		"concurrentDaemonSetSyncs":       c.ConcurrentDaemonSetSyncs,
		"concurrentStatefulSetSyncs":     c.ConcurrentStatefulSetSyncs,
	} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s %d must be at least 1", name, n))
		}
	}
	if err := c.nodeLifecycle().Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.HorizontalPodAutoscaler.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.PodGC.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.ResyncPeriod < 0 {
		errs = append(errs, fmt.Errorf("resyncPeriod %s must not be negative", c.ResyncPeriod))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("controller manager config: %w", err)
	}
	return nil
}

func (c Config) nodeLifecycle() nodelifecycle.Config {
	return nodelifecycle.Config{MonitorPeriod: c.NodeMonitorPeriod, GracePeriod: c.NodeMonitorGracePeriod}
}

// nodeLifecycleWorkers is how many nodes, and how many pods to evict, are
// handled at once.
const nodeLifecycleWorkers = 4

// disruptionWorkers is how many budgets are computed at once (one, as in
// kube-controller-manager).
const disruptionWorkers = 1

// serviceAccountWorkers is how many namespaces the service account
// controller handles at once (kube-controller-manager's
// --concurrent-serviceaccount-token-syncs default).
const serviceAccountWorkers = 5

// resourceQuotaWorkers is how many quotas are recomputed at once
// (--concurrent-resource-quota-syncs).
const resourceQuotaWorkers = 5

// hpaWorkers is how many HPAs are synced at once
// (--concurrent-horizontal-pod-autoscaler-syncs).
const hpaWorkers = 5

// listPageSize is the page size of the informers' lists.
const listPageSize = 500

// Manager runs every controller of one controller-manager replica; see the
// package doc.
type Manager struct {
	cfg      Config
	client   *client.Client
	identity string
	host     string
	rootCA   []byte
	log      zerolog.Logger
}

// WithRootCA makes the manager publish pem, the cluster CA, in every
// namespace's kube-root-ca.crt ConfigMap (without it, namespaces get their
// default ServiceAccount only). It returns m.
func (m *Manager) WithRootCA(pem []byte) *Manager {
	m.rootCA = pem
	return m
}

// NewManager validates cfg and returns a manager that talks to the API
// server through c; identity names the replica in the events it records
// (reportingInstance) and host is their source host. It starts nothing.
func NewManager(cfg Config, c *client.Client, identity, host string, log zerolog.Logger) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("controller manager: client is required")
	}
	return &Manager{cfg: cfg, client: c, identity: identity, host: host, log: log}, nil
}

// Run builds fresh shared informers, event recorders and controllers, runs
// them until ctx ends and returns nil once all have stopped; or returns
// the first error any of them fails with, after stopping the others. Each
// call starts from scratch, so a replica that regains leadership runs Run
// again and acts on a fresh cache.
func (m *Manager) Run(ctx context.Context) error {
	c, cfg := m.client, m.cfg
	logInf := func(name string) zerolog.Logger { return m.log.With().Str("informer", name).Logger() }
	pods := informer.New(client.ListWatch(c.Pods(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		append(controllerutil.Indexers[*api.Pod](), nodelifecycle.PodIndexer())...).WithLogger(logInf("pods"))
	rss := informer.New(client.ListWatch(c.ReplicaSets(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.ReplicaSet]()...).WithLogger(logInf("replicasets"))
	deploys := informer.New(client.ListWatch(c.Deployments(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.Deployment]()...).WithLogger(logInf("deployments"))
	nodes := informer.New(client.ListWatch(c.Nodes(), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod).WithLogger(logInf("nodes"))
	leases := informer.New(client.ListWatch(c.Leases(nodelifecycle.NodeLeaseNamespace), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod).WithLogger(logInf("leases"))
	nss := informer.New(client.ListWatch(c.Namespaces(), client.ListOptions{}), cfg.ResyncPeriod).WithLogger(logInf("namespaces"))
	pdbs := informer.New(client.ListWatch(c.PodDisruptionBudgets(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.PodDisruptionBudget]()...).WithLogger(logInf("poddisruptionbudgets"))
	svcs := informer.New(client.ListWatch(c.Services(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.Service]()...).WithLogger(logInf("services"))
	eps := informer.New(client.ListWatch(c.Endpoints(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.Endpoints]()...).WithLogger(logInf("endpoints"))
	slices := informer.New(client.ListWatch(c.EndpointSlices(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.EndpointSlice]()...).WithLogger(logInf("endpointslices"))
	sas := informer.New(client.ListWatch(client.Resource[api.ServiceAccount](c, client.ServiceAccounts, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod).WithLogger(logInf("serviceaccounts"))
	quotas := informer.New(client.ListWatch(client.Resource[api.ResourceQuota](c, client.ResourceQuotas, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod, controllerutil.Indexers[*api.ResourceQuota]()...).WithLogger(logInf("resourcequotas"))
	rootCAs := informer.New(client.ListWatch(client.Resource[api.ConfigMap](c, client.ConfigMaps, ""),
		client.ListOptions{Limit: listPageSize, FieldSelector: "metadata.name=" + serviceaccount.RootCAName}), cfg.ResyncPeriod).WithLogger(logInf("configmaps"))
	jobs := informer.New(client.ListWatch(c.Jobs(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.Job]()...).WithLogger(logInf("jobs"))
	hpas := informer.New(client.ListWatch(client.Resource[api.HorizontalPodAutoscaler](c, client.HorizontalPodAutoscalers, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod).WithLogger(logInf("horizontalpodautoscalers"))
	cronJobs := informer.New(client.ListWatch(c.CronJobs(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.CronJob]()...).WithLogger(logInf("cronjobs"))
	daemonSets := informer.New(client.ListWatch(client.Resource[api.DaemonSet](c, client.DaemonSets, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod, controllerutil.Indexers[*api.DaemonSet]()...).WithLogger(logInf("daemonsets"))
	statefulSets := informer.New(client.ListWatch(c.StatefulSets(""), client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod,
		controllerutil.Indexers[*api.StatefulSet]()...).WithLogger(logInf("statefulsets"))
	revisions := informer.New(client.ListWatch(client.Resource[api.ControllerRevision](c, client.ControllerRevisions, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod, controllerutil.Indexers[*api.ControllerRevision]()...).WithLogger(logInf("controllerrevisions"))
	roles := informer.New(client.ListWatch(client.Resource[api.Role](c, client.Roles, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod).WithLogger(logInf("roles"))
	clusterRoles := informer.New(client.ListWatch(client.Resource[api.ClusterRole](c, client.ClusterRoles, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod).WithLogger(logInf("clusterroles"))
	roleBindings := informer.New(client.ListWatch(client.Resource[api.RoleBinding](c, client.RoleBindings, ""), client.ListOptions{Limit: listPageSize}),
		cfg.ResyncPeriod).WithLogger(logInf("rolebindings"))
	clusterRoleBindings := informer.New(client.ListWatch(client.Resource[api.ClusterRoleBinding](c, client.ClusterRoleBindings, ""),
		client.ListOptions{Limit: listPageSize}), cfg.ResyncPeriod).WithLogger(logInf("clusterrolebindings"))

	// One event queue for every controller, each reporting as itself, as
	// kube-controller-manager's controllers share one broadcaster: a queue
	// and cache each cost about 300 KB. Its rate is that of two recorders.
	eventQueue := events.New(events.ClientSink(c), events.Config{
		Source: "kube-controller-manager", Host: m.host, Instance: m.identity, QPS: 100, Burst: 200, Buffer: 2000,
	}, m.log.With().Str("events", "recorder").Logger())
	recorder := eventQueue.WithSource
	rsEvents, deployEvents, nodeEvents := recorder("replicaset-controller"), recorder("deployment-controller"), recorder("node-controller")
	pdbEvents, jobEvents, cronJobEvents := recorder("controllermanager"), recorder("job-controller"), recorder("cronjob-controller")
	dsEvents, stsEvents := recorder("daemonset-controller"), recorder("statefulset-controller")
	bindingEvents := recorder("rolebinding-controller")
	hpaEvents := recorder("horizontal-pod-autoscaler")
	logFor := func(name string) zerolog.Logger { return m.log.With().Str("controller", name).Logger() }

	rsc, err := replicaset.New(cfg.ReplicaSet, replicaset.Deps{Client: c, Pods: pods, ReplicaSets: rss, Events: rsEvents}, logFor("replicaset"))
	if err != nil {
		return err
	}
	dc, err := deployment.New(deployment.DefaultConfig(), deployment.Deps{Client: c, Pods: pods, ReplicaSets: rss, Deployments: deploys, Events: deployEvents}, logFor("deployment"))
	if err != nil {
		return err
	}
	nlc, err := nodelifecycle.New(cfg.nodeLifecycle(), nodelifecycle.Deps{Client: c, Nodes: nodes, Leases: leases, Pods: pods, Events: nodeEvents}, logFor("nodelifecycle"))
	if err != nil {
		return err
	}
	gcc, err := gc.New(gc.Deps{Client: c, ResyncPeriod: cfg.ResyncPeriod, Shared: []gc.Shared{
		gc.Watch(client.Pods, "Pod", pods), gc.Watch(client.ReplicaSets, "ReplicaSet", rss), gc.Watch(client.Deployments, "Deployment", deploys),
		gc.Watch(client.Jobs, "Job", jobs), gc.Watch(client.CronJobs, "CronJob", cronJobs), gc.Watch(client.Services, "Service", svcs),
		gc.Watch(client.Endpoints, "Endpoints", eps), gc.Watch(client.EndpointSlices, "EndpointSlice", slices),
		gc.Watch(client.Nodes, "Node", nodes), gc.Watch(client.Namespaces, "Namespace", nss),
		gc.Watch(client.PodDisruptionBudgets, "PodDisruptionBudget", pdbs), gc.Watch(client.ServiceAccounts, "ServiceAccount", sas),
		gc.Watch(client.ResourceQuotas, "ResourceQuota", quotas), gc.Watch(client.Roles, "Role", roles),
		gc.Watch(client.ClusterRoles, "ClusterRole", clusterRoles), gc.Watch(client.RoleBindings, "RoleBinding", roleBindings),
		gc.Watch(client.ClusterRoleBindings, "ClusterRoleBinding", clusterRoleBindings),
		gc.Watch(client.DaemonSets, "DaemonSet", daemonSets), gc.Watch(client.StatefulSets, "StatefulSet", statefulSets),
		gc.Watch(client.ControllerRevisions, "ControllerRevision", revisions),
	}}, logFor("garbagecollector"))
	if err != nil {
		return err
	}
	nsc, err := namespace.New(namespace.Deps{Client: c, Namespaces: nss}, logFor("namespace"))
	if err != nil {
		return err
	}
	pdbc, err := disruption.New(disruption.Deps{Client: c, Pods: pods, PDBs: pdbs, ReplicaSets: rss, Deployments: deploys, Events: pdbEvents},
		logFor("disruption"))
	if err != nil {
		return err
	}
	sac, err := serviceaccount.New(serviceaccount.Deps{Client: c, Namespaces: nss, ServiceAccounts: sas, ConfigMaps: rootCAs, RootCA: m.rootCA},
		logFor("serviceaccount"))
	if err != nil {
		return err
	}

	epc, err := endpoints.NewEndpoints(endpoints.EndpointsDeps{Client: c, Pods: pods, Services: svcs, Endpoints: eps}, logFor("endpoints"))
	if err != nil {
		return err
	}
	esc, err := endpoints.NewSlices(endpoints.SlicesDeps{Client: c, Pods: pods, Services: svcs, EndpointSlices: slices}, logFor("endpointslice"))
	if err != nil {
		return err
	}
	rqc, err := resourcequota.New(resourcequota.Deps{Client: c, Quotas: quotas, Pods: pods}, logFor("resourcequota"))
	if err != nil {
		return err
	}

	jc, err := job.New(cfg.Job, job.Deps{Client: c, Pods: pods, Jobs: jobs, Events: jobEvents}, logFor("job"))
	if err != nil {
		return err
	}
	cjc, err := cronjob.New(cronjob.Deps{Client: c, Jobs: jobs, CronJobs: cronJobs, Events: cronJobEvents}, logFor("cronjob"))
	if err != nil {
		return err
	}
	dsc, err := daemonset.New(daemonset.Deps{Client: c, Pods: pods, Nodes: nodes, DaemonSets: daemonSets, Revisions: revisions, Events: dsEvents},
		logFor("daemonset"))
	if err != nil {
		return err
	}
	stsc, err := statefulset.New(statefulset.Deps{Client: c, Pods: pods, StatefulSets: statefulSets, Revisions: revisions, Events: stsEvents},
		logFor("statefulset"))
	if err != nil {
		return err
	}
	rbc, err := rolebinding.New(rolebinding.Deps{Roles: roles, ClusterRoles: clusterRoles, RoleBindings: roleBindings,
		ClusterRoleBindings: clusterRoleBindings, Events: bindingEvents}, logFor("rolebinding"))
	if err != nil {
		return err
	}

	hpac, err := hpa.New(cfg.HorizontalPodAutoscaler, hpa.Deps{Client: c, Pods: pods, HPAs: hpas, Events: hpaEvents}, logFor("horizontalpodautoscaler"))
	if err != nil {
		return err
	}
	pgc, err := podgc.New(cfg.PodGC, podgc.Deps{Client: c, Pods: pods, Nodes: nodes}, logFor("podgc"))
	if err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(ctx)
	for _, run := range []func(context.Context) error{
		pods.Run, rss.Run, deploys.Run, nodes.Run, leases.Run, nss.Run, pdbs.Run, jobs.Run, cronJobs.Run, sas.Run, rootCAs.Run, quotas.Run,
		svcs.Run, eps.Run, slices.Run, daemonSets.Run, statefulSets.Run, revisions.Run, eventQueue.Run,
		func(ctx context.Context) error { return dsc.Run(ctx, cfg.ConcurrentDaemonSetSyncs) },
		func(ctx context.Context) error { return stsc.Run(ctx, cfg.ConcurrentStatefulSetSyncs) },
		roles.Run, clusterRoles.Run, roleBindings.Run, clusterRoleBindings.Run,
		func(ctx context.Context) error { return rbc.Run(ctx, 1) },
		hpas.Run, pgc.Run,
		func(ctx context.Context) error { return hpac.Run(ctx, hpaWorkers) },
		func(ctx context.Context) error { return epc.Run(ctx, cfg.ConcurrentEndpointSyncs) },
		func(ctx context.Context) error { return esc.Run(ctx, cfg.ConcurrentServiceEndpointSyncs) },
		func(ctx context.Context) error { return rsc.Run(ctx, cfg.ConcurrentReplicaSetSyncs) },
		func(ctx context.Context) error { return dc.Run(ctx, cfg.ConcurrentDeploymentSyncs) },
		func(ctx context.Context) error { return nlc.Run(ctx, nodeLifecycleWorkers) },
		func(ctx context.Context) error { return gcc.Run(ctx, cfg.ConcurrentGCSyncs) },
		func(ctx context.Context) error { return nsc.Run(ctx, cfg.ConcurrentNamespaceSyncs) },
		func(ctx context.Context) error { return pdbc.Run(ctx, disruptionWorkers) },
		func(ctx context.Context) error { return sac.Run(ctx, serviceAccountWorkers) },
		func(ctx context.Context) error { return rqc.Run(ctx, resourceQuotaWorkers) },
		func(ctx context.Context) error { return jc.Run(ctx, cfg.ConcurrentJobSyncs) },
		func(ctx context.Context) error { return cjc.Run(ctx, cfg.ConcurrentCronJobSyncs) },
	} {
		g.Go(func() error { return run(ctx) })
	}
	m.log.Info().Msg("controllers started")
	err = g.Wait()
	m.log.Info().Msg("controllers stopped")
	return err
}
