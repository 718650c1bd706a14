package namespace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
)

// recheck is how long a namespace whose content is still going waits
// before it is looked at again.
const recheck = time.Second

// Deps are the controller's client and shared namespace informer.
type Deps struct {
	Client     *client.Client
	Namespaces *informer.Informer[*api.Namespace]
}

// Controller is the namespace controller; see the package doc.
type Controller struct {
	deps Deps
	log  zerolog.Logger
	loop controllerutil.Loop
}

// New returns a controller. It registers its handler on the informer; it
// starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Namespaces == nil {
		return nil, errors.New("namespace controller: client and namespace informer are required")
	}
	c := &Controller{deps: deps, log: log}
	c.loop = controllerutil.Loop{Name: "namespace controller", Log: log, Sync: c.sync,
		HasSynced: []func() bool{deps.Namespaces.HasSynced}}
	enqueue := func(ns *api.Namespace) {
		if ns.DeletionTimestamp != nil {
			c.loop.Add(informer.KeyOf(ns))
		}
	}
	deps.Namespaces.AddHandler(informer.HandlerFuncs[*api.Namespace]{
		AddFunc:    enqueue,
		UpdateFunc: func(_, ns *api.Namespace) { enqueue(ns) },
	})
	return c, nil
}

// Run waits for the informer to sync, then runs workers until ctx ends. It
// returns nil then, after the workers have stopped.
// It may be called again after it returns, not concurrently.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

// sync empties a namespace that is being deleted and, once nothing is left
// in it, removes the kubernetes finalizer so that the API server removes
// it.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	ns, ok := c.deps.Namespaces.Get(key)
	if !ok || ns.DeletionTimestamp == nil || !slices.Contains(ns.Spec.Finalizers, api.FinalizerKubernetes) {
		return 0, nil
	}
	resources, err := c.namespacedResources(ctx)
	if err != nil {
		return 0, err
	}
	left, err := c.deleteContent(ctx, ns.Name, resources)
	if err != nil {
		return 0, err
	}
	if len(left) > 0 {
		c.log.Debug().Str("namespace", ns.Name).Strs("remaining", left).Msg("waiting for content to go")
		return recheck, nil
	}
	if err := c.finalize(ctx, ns.Name); err != nil {
		return 0, err
	}
	c.log.Info().Str("namespace", ns.Name).Msg("namespace emptied and finalized")
	return 0, nil
}

// deleteContent deletes every object of resources in namespace ns and
// returns the resources that still have objects (being deleted, with
// finalizers or a grace period).
func (c *Controller) deleteContent(ctx context.Context, ns string, resources []client.GVR) (left []string, err error) {
	background := api.PropagationBackground
	opts := api.DeleteOptions{TypeMeta: api.TypeMeta{Kind: "DeleteOptions", APIVersion: "v1"}, PropagationPolicy: &background}
	var errs []error
	for _, r := range resources {
		path := r.Path(ns)
		if err := c.deps.Client.Do(ctx, http.MethodDelete, path, opts, nil); err != nil && !client.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s in %s: %w", r.Resource, ns, err))
			continue
		}
		var list struct {
			Items []struct{} `json:"items"`
		}
		if err := c.deps.Client.Do(ctx, http.MethodGet, path+"?limit=1", nil, &list); err != nil {
			errs = append(errs, fmt.Errorf("list %s in %s: %w", r.Resource, ns, err))
			continue
		}
		if len(list.Items) > 0 {
			left = append(left, r.Resource)
		}
	}
	return left, errors.Join(errs...)
}

// finalize removes the kubernetes finalizer from the namespace's
// spec.finalizers.
func (c *Controller) finalize(ctx context.Context, name string) error {
	nsc := c.deps.Client.Namespaces()
	err := client.RetryOnConflict(ctx, client.DefaultBackoff, func() error {
		ns, err := nsc.Get(ctx, name)
		if err != nil {
			return err
		}
		if !slices.Contains(ns.Spec.Finalizers, api.FinalizerKubernetes) {
			return nil
		}
		ns.Spec.Finalizers = slices.DeleteFunc(ns.Spec.Finalizers, func(f string) bool { return f == api.FinalizerKubernetes })
		_, err = nsc.Update(ctx, ns)
		return err
	})
	if err != nil && !client.IsNotFound(err) {
		return fmt.Errorf("finalize namespace %s: %w", name, err)
	}
	return nil
}

// namespacedResources asks discovery for every namespaced resource that
// can be listed and deleted as a collection, as Kubernetes' namespace
// controller does, so that new resources need no change here.
func (c *Controller) namespacedResources(ctx context.Context) ([]client.GVR, error) {
	all, err := c.deps.Client.Discover(ctx)
	if err != nil {
		return nil, err
	}
	var out []client.GVR
	for _, r := range all {
		if r.Namespaced && r.Supports("deletecollection", "list") {
			out = append(out, r.GVR)
		}
	}
	return out, nil
}
