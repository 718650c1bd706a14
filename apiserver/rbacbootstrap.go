package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authz"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/store"
)

// runAuthorizer feeds the authorizer from the store and the watch hub, and
// fills in the rules of aggregated ClusterRoles whenever a ClusterRole
// changes, as Kubernetes' clusterrole-aggregation controller does.
func (s *Server) runAuthorizer(ctx context.Context) {
	if s.authz.allow {
		return
	}
	kick := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
			}
			if err := s.writeAggregatedRules(ctx, s.authz.rbac); err != nil && ctx.Err() == nil {
				s.log.Warn().Err(err).Msg("fill in aggregated cluster roles")
				select { // try again later
				case kick <- struct{}{}:
				default:
				}
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
	s.authz.run(ctx, s.deps.Store, s.hub, func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	})
	<-done
}

// writeAggregatedRules stores the rules rbac computed for every
// aggregated ClusterRole whose stored rules differ. With rbac nil, it
// computes them from the stored ClusterRoles (at start, so that the
// defaults are filled in before the server listens).
func (s *Server) writeAggregatedRules(ctx context.Context, rbac *authz.RBAC) error {
	res, _ := registry.ByKind("ClusterRole")
	recs, _, err := s.deps.Store.List(ctx, store.Prefix{Resource: res.StoreName()}, store.ListOptions{})
	if err != nil {
		return err
	}
	if rbac == nil {
		rbac = authz.NewRBAC()
		objs := make([]any, 0, len(recs))
		for _, rec := range recs {
			if o := decodeRBAC(authz.KindClusterRole, rec.Value); o != nil {
				objs = append(objs, o)
			}
		}
		rbac.Replace(objs)
	}
	var errs []error
	for _, rec := range recs {
		var cr api.ClusterRole
		if api.Unmarshal(rec.Value, &cr) != nil || cr.AggregationRule == nil {
			continue
		}
		rules, ok := rbac.AggregatedRulesOf(cr.Name)
		if !ok || reflect.DeepEqual(nonNil(cr.Rules), nonNil(rules)) {
			continue
		}
		_, err := s.guaranteedUpdate(ctx, res, rec.Key, func(o object, _ []byte) (object, []byte, error) {
			o["rules"] = rulesValue(rules)
			return o, nil, nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("clusterrole %s: %w", cr.Name, err))
		}
	}
	return errors.Join(errs...)
}

func nonNil(r []api.PolicyRule) []api.PolicyRule {
	if r == nil {
		return []api.PolicyRule{}
	}
	return r
}

// rulesValue converts rules to the pipeline's decoded-JSON form.
func rulesValue(rules []api.PolicyRule) any {
	var v any
	b, _ := json.Marshal(nonNil(rules))
	_ = api.Unmarshal(b, &v)
	return v
}

// bootstrapRBAC creates the default ClusterRoles and ClusterRoleBindings
// (authz.DefaultClusterRoles, authz.DefaultClusterRoleBindings) and
// reconciles existing ones as Kubernetes' API server does on start: a
// default object without autoupdate "false" gets the rules, subjects,
// labels and annotations it lacks (never a duplicate; what an
// administrator added stays), and a binding whose roleRef differs is
// recreated.
func (s *Server) bootstrapRBAC(ctx context.Context) error {
	if s.authz.allow {
		return nil
	}
	for _, want := range authz.DefaultClusterRoles() {
		if err := s.reconcileDefault(ctx, "ClusterRole", &want.ObjectMeta, want, func(o object) (bool, error) {
			var cur api.ClusterRole
			if err := fromObject(o, &cur); err != nil {
				return false, err
			}
			changed := false
			if want.AggregationRule != nil {
				if cur.AggregationRule == nil {
					cur.AggregationRule = &api.AggregationRule{}
				}
				for _, sel := range want.AggregationRule.ClusterRoleSelectors {
					if !containsSelector(cur.AggregationRule.ClusterRoleSelectors, sel) {
						cur.AggregationRule.ClusterRoleSelectors = append(cur.AggregationRule.ClusterRoleSelectors, sel)
						changed = true
					}
				}
				if changed {
					o["aggregationRule"] = toValue(cur.AggregationRule)
				}
			} else if ok, missing := authz.Covers(cur.Rules, want.Rules); !ok {
				o["rules"] = rulesValue(append(cur.Rules, missing...))
				changed = true
			}
			return changed, nil
		}); err != nil {
			return err
		}
	}
	for _, want := range authz.DefaultClusterRoleBindings() {
		if err := s.reconcileDefault(ctx, "ClusterRoleBinding", &want.ObjectMeta, want, func(o object) (bool, error) {
			var cur api.ClusterRoleBinding
			if err := fromObject(o, &cur); err != nil {
				return false, err
			}
			if cur.RoleRef != want.RoleRef {
				return false, errRecreate
			}
			changed := false
			for _, sub := range want.Subjects {
				if !containsSubject(cur.Subjects, sub) {
					cur.Subjects = append(cur.Subjects, sub)
					changed = true
				}
			}
			if changed {
				o["subjects"] = toValue(cur.Subjects)
			}
			return changed, nil
		}); err != nil {
			return err
		}
	}
	return s.writeAggregatedRules(ctx, nil)
}

// errRecreate asks reconcileDefault to delete the object and create the
// default anew (a binding's roleRef cannot change).
var errRecreate = errors.New("recreate")

// reconcileDefault creates the default object want (of kind, with meta) if
// it is missing, or, unless its autoupdate annotation is "false", adds to
// the stored one the labels and annotations it lacks and what reconcile
// says (reconcile reports whether it changed o).
func (s *Server) reconcileDefault(ctx context.Context, kind string, meta *api.ObjectMeta, want any, reconcile func(o object) (bool, error)) error {
	res, _ := registry.ByKind(kind)
	k := store.Key{Resource: res.StoreName(), Name: meta.Name}
	create := func() error {
		var o object
		if err := fromObject(toValue(want), &o); err != nil {
			return err
		}
		o["apiVersion"], o["kind"] = res.GroupVersion(), res.Kind
		uid := uuid.NewString()
		initMeta(o, time.Now(), uid)
		value, err := encodeStored(o)
		if err != nil {
			return err
		}
		if _, err := s.deps.Store.Create(ctx, &store.Record{Key: k, UID: uid, Value: value}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
		}
		return nil
	}
	rec, err := s.deps.Store.Get(ctx, k)
	if errors.Is(err, store.ErrNotFound) {
		return create()
	}
	if err != nil {
		return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
	}
	_, err = s.guaranteedUpdate(ctx, res, k, func(o object, _ []byte) (object, []byte, error) {
		md, _ := o["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
			o["metadata"] = md
		}
		ann, _ := md["annotations"].(map[string]any)
		if ann != nil && ann[authz.AnnotationAutoupdate] == "false" {
			return nil, nil, errUnchanged
		}
		changed := false
		for field, add := range map[string]map[string]string{"labels": meta.Labels, "annotations": meta.Annotations} {
			m, _ := md[field].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			for key, val := range add {
				if _, ok := m[key]; !ok {
					m[key] = val
					changed = true
				}
			}
			md[field] = m
		}
		ruleChange, err := reconcile(o)
		if err != nil {
			return nil, nil, err
		}
		if !changed && !ruleChange {
			return nil, nil, errUnchanged
		}
		return o, nil, nil
	})
	switch {
	case err == nil, errors.Is(err, errUnchanged), errors.Is(err, store.ErrNotFound):
		return nil
	case errors.Is(err, errRecreate):
		if _, err := s.deps.Store.Delete(ctx, k, rec.ResourceVersion); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
		}
		return create()
	}
	return fmt.Errorf("bootstrap %s %s: %w", res.Name, k.Name, err)
}

// errUnchanged tells guaranteedUpdate's caller nothing needed writing.
var errUnchanged = errors.New("unchanged")

func toValue(v any) any {
	var out any
	b, _ := json.Marshal(v)
	_ = api.Unmarshal(b, &out)
	return out
}

func fromObject(o any, v any) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return api.Unmarshal(b, v)
}

func containsSelector(sels []api.LabelSelector, sel api.LabelSelector) bool {
	for _, s := range sels {
		if reflect.DeepEqual(s, sel) {
			return true
		}
	}
	return false
}

func containsSubject(subs []api.Subject, sub api.Subject) bool {
	for _, s := range subs {
		if s.Kind == sub.Kind && s.Name == sub.Name && s.Namespace == sub.Namespace {
			return true
		}
	}
	return false
}
