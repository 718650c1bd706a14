package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// componentProbeTimeout bounds each component's check.
const componentProbeTimeout = 2 * time.Second

// leasesResource is the store's name of coordination.k8s.io Leases.
var leasesResource = func() string {
	res, _ := registry.Lookup("coordination.k8s.io", "v1", "leases")
	return res.StoreName()
}()

// leaderLeases are the components whose health is their leader's Lease in
// kube-system, by ComponentStatus name.
var leaderLeases = []struct{ component, lease string }{
	{"controller-manager", "kube-controller-manager"},
	{"scheduler", "kube-scheduler"},
}

// serveProbed answers get and list of ComponentStatus (Probed kinds).
// Kubernetes probes the scheduler's and controller manager's /healthz on
// localhost, which says nothing of replicas elsewhere; minik8s reads what
// leader election leaves instead: a component is healthy while some
// replica holds its Lease (renewed within its duration). The third
// component is the store, healthy while it answers.
func (s *Server) serveProbed(r *request) error {
	f, err := newFilter(r)
	if err != nil {
		return err
	}
	ctx := r.c.Request().Context()
	now := time.Now()
	// Only the components asked for are checked.
	wanted := func(name string) bool { return r.ri.Name == "" || r.ri.Name == name }
	var items []map[string]any
	add := func(name string, cond api.ComponentCondition) {
		o := map[string]any{
			"kind": r.res.Kind, "apiVersion": r.res.GroupVersion(),
			"metadata":   map[string]any{"name": name},
			"conditions": []any{conditionObject(cond)},
		}
		if f.matches(o) {
			items = append(items, o)
		}
	}
	for _, l := range leaderLeases {
		if wanted(l.component) {
			add(l.component, s.leaderHealth(ctx, l.component, l.lease, now))
		}
	}
	if wanted("store") {
		add("store", s.storeHealth(ctx))
	}
	return writeComputed(r, items, now)
}

// leaderHealth is component's Healthy condition from its Lease
// kube-system/lease.
func (s *Server) leaderHealth(ctx context.Context, component, lease string, now time.Time) api.ComponentCondition {
	ctx, cancel := context.WithTimeout(ctx, componentProbeTimeout)
	defer cancel()
	where := "Lease kube-system/" + lease
	rec, err := s.deps.Store.Get(ctx, store.Key{Resource: leasesResource, Namespace: "kube-system", Name: lease})
	if errors.Is(err, store.ErrNotFound) {
		return unhealthy(fmt.Sprintf("no %s: no %s has led through a Lease (one that elects through Redis, or not at all, keeps none)", where, component))
	}
	if err != nil {
		return unhealthy(fmt.Sprintf("read %s: %v", where, err))
	}
	var l api.Lease
	if err := json.Unmarshal(rec.Value, &l); err != nil {
		return unhealthy(fmt.Sprintf("read %s: %v", where, err))
	}
	holder, renewed := "", time.Time{}
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	if l.Spec.RenewTime != nil {
		renewed = l.Spec.RenewTime.Time
	}
	var lasts time.Duration
	if l.Spec.LeaseDurationSeconds != nil {
		lasts = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	switch {
	case holder == "":
		return unhealthy(fmt.Sprintf("no leader: %s was released at %s", where, renewed.UTC().Format(time.RFC3339)))
	case now.After(renewed.Add(lasts)):
		return unhealthy(fmt.Sprintf("no leader: %s, held by %s, expired at %s", where, holder, renewed.Add(lasts).UTC().Format(time.RFC3339)))
	}
	return api.ComponentCondition{Type: api.ComponentHealthy, Status: api.ConditionTrue, Message: "ok (leader " + holder + ")"}
}

// storeHealth is the store's Healthy condition: whether it answers.
func (s *Server) storeHealth(ctx context.Context) api.ComponentCondition {
	ctx, cancel := context.WithTimeout(ctx, componentProbeTimeout)
	defer cancel()
	if _, err := s.deps.Store.Revision(ctx); err != nil {
		return unhealthy(err.Error())
	}
	return api.ComponentCondition{Type: api.ComponentHealthy, Status: api.ConditionTrue, Message: "ok"}
}

func unhealthy(why string) api.ComponentCondition {
	return api.ComponentCondition{Type: api.ComponentHealthy, Status: api.ConditionFalse, Error: why}
}

// conditionObject is c as JSON values, for the table's columns.
func conditionObject(c api.ComponentCondition) map[string]any {
	m := map[string]any{"type": c.Type, "status": string(c.Status)}
	if c.Message != "" {
		m["message"] = c.Message
	}
	if c.Error != "" {
		m["error"] = c.Error
	}
	return m
}
