package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
	"github.com/minik8s/minik8s/controllers/controllerutil"
	"github.com/minik8s/minik8s/informer"
	"github.com/minik8s/minik8s/quota"
)

// Resync is how often every quota is recomputed even if nothing it
// watches changed (kube-controller-manager's
// --resource-quota-sync-period is 5 minutes; minik8s is smaller).
const Resync = time.Minute

// Deps are the controller's client and informers.
type Deps struct {
	Client *client.Client
	Quotas *informer.Informer[*api.ResourceQuota]
	// Pods must carry controllerutil.IndexNamespace.
	Pods *informer.Informer[*api.Pod]
}

// Controller is the quota controller; see the package doc.
type Controller struct {
	deps   Deps
	log    zerolog.Logger
	loop   controllerutil.Loop
	resync time.Duration
}

// New returns a controller. It registers its handlers on the informers;
// it starts nothing.
func New(deps Deps, log zerolog.Logger) (*Controller, error) {
	if deps.Client == nil || deps.Quotas == nil || deps.Pods == nil {
		return nil, errors.New("resourcequota controller: client and informers are required")
	}
	c := &Controller{deps: deps, log: log, resync: Resync}
	c.loop = controllerutil.Loop{Name: "resourcequota controller", Log: log, Sync: c.sync,
		HasSynced: []func() bool{deps.Quotas.HasSynced, deps.Pods.HasSynced}}
	deps.Quotas.AddHandler(informer.HandlerFuncs[*api.ResourceQuota]{
		AddFunc: func(q *api.ResourceQuota) { c.loop.Add(informer.KeyOf(q)) },
		UpdateFunc: func(old, q *api.ResourceQuota) {
			if !old.Spec.Hard.Equal(q.Spec.Hard) || !q.Spec.Hard.Equal(q.Status.Hard) {
				c.loop.Add(informer.KeyOf(q))
			}
		},
	})
	deps.Pods.AddHandler(informer.HandlerFuncs[*api.Pod]{
		UpdateFunc: func(old, p *api.Pod) {
			if !quota.Terminal(old) && quota.Terminal(p) {
				c.enqueueNamespace(p.Namespace)
			}
		},
		DeleteFunc: func(p *api.Pod) { c.enqueueNamespace(p.Namespace) },
	})
	return c, nil
}

func (c *Controller) enqueueNamespace(ns string) {
	for _, q := range c.deps.Quotas.ByIndex(controllerutil.IndexNamespace, ns) {
		c.loop.Add(informer.KeyOf(q))
	}
}

// Run waits for the informers to sync, then runs workers until ctx ends.
// It returns nil then, after the workers have stopped. Run may be called
// once: build a new one for each term of leadership.
func (c *Controller) Run(ctx context.Context, workers int) error { return c.loop.Run(ctx, workers) }

// sync recomputes one quota's status.
func (c *Controller) sync(ctx context.Context, key informer.Key) (time.Duration, error) {
	q, ok := c.deps.Quotas.Get(key)
	if !ok {
		return 0, nil
	}
	used, err := c.usage(ctx, q)
	if err != nil {
		return 0, err
	}
	if q.Status.Hard.Equal(q.Spec.Hard) && q.Status.Used.Equal(used) {
		return c.resync, nil
	}
	next := api.DeepCopy(q)
	next.Status.Hard, next.Status.Used = q.Spec.Hard, used
	_, err = client.Resource[api.ResourceQuota](c.deps.Client, client.ResourceQuotas, q.Namespace).UpdateStatus(ctx, next)
	if client.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	c.log.Debug().Str("key", key.String()).Msg("quota status updated")
	return c.resync, nil
}

// usage totals what q's namespace uses of each resource q limits.
func (c *Controller) usage(ctx context.Context, q *api.ResourceQuota) (api.ResourceList, error) {
	used := api.ResourceList{}
	podTotal := api.ResourceList{}
	for _, p := range c.deps.Pods.ByIndex(controllerutil.IndexNamespace, q.Namespace) {
		if quota.Matches(q, p) {
			quota.Add(podTotal, quota.PodUsage(p))
		}
	}
	counted := map[string]int{} // "resource.group" → count, listed once
	for name := range q.Spec.Hard {
		n := string(name)
		if isPodResource(n) {
			used[name] = podTotal[name] // zero when no pod uses it
			continue
		}
		res, group, ok := countedResource(n)
		if !ok {
			continue
		}
		if !quota.Matches(q, nil) {
			used[name] = api.Quantity{}
			continue
		}
		k := res + "." + group
		if _, done := counted[k]; !done {
			cnt, err := c.count(ctx, q.Namespace, res, group)
			if err != nil {
				return nil, err
			}
			counted[k] = cnt
		}
		if counted[k] >= 0 {
			used[name] = api.NewQuantity(int64(counted[k]), api.DecimalSI)
		}
	}
	return used, nil
}

// isPodResource reports whether a quota resource is counted from pods.
func isPodResource(n string) bool {
	return n == "pods" || n == "count/pods" || n == "cpu" || n == "memory" || n == "ephemeral-storage" ||
		strings.HasPrefix(n, "requests.") || strings.HasPrefix(n, "limits.")
}

// countedResource reads an object count's resource and group:
// count/deployments.apps, count/configmaps, or a plain core name.
func countedResource(n string) (resource, group string, ok bool) {
	if rest, found := strings.CutPrefix(n, "count/"); found {
		resource, group, _ = strings.Cut(rest, ".")
		return resource, group, resource != ""
	}
	if slices.Contains([]string{"services", "secrets", "configmaps", "persistentvolumeclaims", "replicationcontrollers", "resourcequotas"}, n) {
		return n, "", true
	}
	return "", "", false
}

// count returns how many objects of resource in group the namespace has,
// or -1 when the API server does not serve it.
func (c *Controller) count(ctx context.Context, ns, resource, group string) (int, error) {
	base := "/api/v1"
	if group != "" {
		var g struct {
			PreferredVersion struct {
				GroupVersion string `json:"groupVersion"`
			} `json:"preferredVersion"`
		}
		if err := c.deps.Client.Do(ctx, http.MethodGet, "/apis/"+group, nil, &g); err != nil {
			if client.IsNotFound(err) {
				return -1, nil
			}
			return 0, fmt.Errorf("discover %s: %w", group, err)
		}
		base = "/apis/" + g.PreferredVersion.GroupVersion
	}
	var list struct {
		Items []struct{} `json:"items"`
	}
	if err := c.deps.Client.Do(ctx, http.MethodGet, base+"/namespaces/"+ns+"/"+resource, nil, &list); err != nil {
		if client.IsNotFound(err) {
			return -1, nil
		}
		return 0, fmt.Errorf("list %s in %s: %w", resource, ns, err)
	}
	return len(list.Items), nil
}
