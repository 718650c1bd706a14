package admission

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/quota"
	"github.com/minik8s/minik8s/store"
)

// ResourceQuota is Kubernetes' ResourceQuota admission for creates: a new
// object is charged against every quota of its namespace that counts it
// (package quota says what it uses). If any would go over its
// status.hard, the create is refused (403 `exceeded quota: q, requested:
// pods=1, used: pods=2, limited: pods=2`); otherwise each quota's
// status.used grows by the object's use, written with optimistic
// concurrency so that concurrent creates cannot both take the last unit.
// A dry run is checked but charges nothing. The quota controller
// recomputes status.used from the objects, which gives back what deleted
// objects (or creates that failed after admission) used. A quota whose
// status the controller has not filled yet refuses what it limits
// (`status unknown for quota: q, resources: pods`), as in Kubernetes.
type ResourceQuota struct {
	Quotas *Cache
	Store  store.Store
	// Update writes a stored object through the API server's own update
	// path: mutate gets the current object (decoded) and changes it in
	// place; a lost race re-reads and calls it again; an error of mutate
	// ends it.
	Update func(ctx context.Context, key store.Key, mutate func(cur map[string]any) error) error
}

// Name implements Plugin.
func (ResourceQuota) Name() string { return "ResourceQuota" }

// Validate implements Validator.
func (p ResourceQuota) Validate(ctx context.Context, a *Attributes) error {
	if a.Operation != Create || a.Subresource != "" || a.Namespace == "" {
		return nil
	}
	recs, err := p.Quotas.List(ctx, a.Namespace)
	if err != nil || len(recs) == 0 {
		return err
	}
	var pod *api.Pod
	resource, group, _ := strings.Cut(a.Resource, ".")
	usage := quota.ObjectUsage(resource, group)
	if isPod(a) {
		if pod, err = registry.As[api.Pod](a.Object); err != nil {
			return nil // validation refuses it
		}
		usage = quota.PodUsage(pod)
	}
	for _, rec := range recs {
		if err := p.charge(ctx, a, rec.Name, pod, usage); err != nil {
			return err
		}
	}
	return nil
}

// charge checks one quota and, unless the write is a dry run, adds usage
// to its status.used.
func (p ResourceQuota) charge(ctx context.Context, a *Attributes, name string, pod *api.Pod, usage api.ResourceList) error {
	key := store.Key{Resource: "resourcequotas", Namespace: a.Namespace, Name: name}
	if a.DryRun {
		rec, err := p.Store.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted since the cache listed it
		}
		if err != nil {
			return err
		}
		var q api.ResourceQuota
		if err := api.Unmarshal(rec.Value, &q); err != nil {
			return err
		}
		_, err = check(a, &q, pod, usage)
		return err
	}
	err := p.Update(ctx, key, func(cur map[string]any) error {
		q, err := registry.As[api.ResourceQuota](cur)
		if err != nil {
			return err
		}
		limited, err := check(a, q, pod, usage)
		if err != nil || len(limited) == 0 {
			return err
		}
		used := ensure(ensure(cur, "status"), "used")
		for _, k := range limited {
			u := q.Status.Used[k]
			u.Add(usage[k])
			used[string(k)] = u.String()
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// check returns the resources of usage that q limits, or why q refuses
// the object.
func check(a *Attributes, q *api.ResourceQuota, pod *api.Pod, usage api.ResourceList) ([]api.ResourceName, error) {
	if !quota.Matches(q, pod) {
		return nil, nil
	}
	if pod != nil {
		if err := quota.Constraints(q.Spec.Hard, pod); err != nil {
			return nil, Forbidden(a, fmt.Errorf("failed quota: %s: %w", q.Name, err))
		}
	}
	var limited, unknown []api.ResourceName
	for k := range usage {
		if _, ok := q.Spec.Hard[k]; !ok {
			continue
		}
		limited = append(limited, k)
		_, hard := q.Status.Hard[k]
		_, used := q.Status.Used[k]
		if !hard || !used {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, Forbidden(a, fmt.Errorf("status unknown for quota: %s, resources: %s", q.Name, joinNames(unknown)))
	}
	if over := quota.Exceeded(q.Status.Hard, q.Status.Used, usage); len(over) > 0 {
		return nil, Forbidden(a, fmt.Errorf("exceeded quota: %s, requested: %s, used: %s, limited: %s", q.Name,
			quota.Format(usage, over), quota.Format(q.Status.Used, over), quota.Format(q.Status.Hard, over)))
	}
	return limited, nil
}

func joinNames(names []api.ResourceName) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ",")
}
