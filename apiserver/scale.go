package apiserver

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/labels"
	"github.com/minik8s/minik8s/store"
)

// scaleOf renders an object's autoscaling/v1 Scale, read where the
// resource keeps replicas and selector (registry.Resource.ScaleAt).
func scaleOf(res *registry.Resource, o object) (*api.Scale, error) {
	paths := res.ScaleAt()
	meta, err := registry.As[api.ObjectMeta](o["metadata"])
	if err != nil {
		return nil, err
	}
	sc := &api.Scale{TypeMeta: api.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"}}
	sc.ObjectMeta = api.ObjectMeta{Name: meta.Name, Namespace: meta.Namespace, UID: meta.UID,
		ResourceVersion: meta.ResourceVersion, CreationTimestamp: meta.CreationTimestamp}
	if n, err := strconv.ParseInt(fieldString(nested(o, paths.SpecReplicas...)), 10, 32); err == nil {
		sc.Spec.Replicas = int32(n)
	}
	if n, err := strconv.ParseInt(fieldString(nested(o, paths.StatusReplicas...)), 10, 32); err == nil {
		sc.Status.Replicas = int32(n)
	}
	if paths.LabelSelector != nil {
		switch sel := nested(o, paths.LabelSelector...).(type) {
		case string: // a custom resource's serialized selector
			sc.Status.Selector = sel
		case map[string]any:
			ls, err := registry.As[api.LabelSelector](sel)
			if err != nil {
				return nil, err
			}
			if parsed, err := labels.FromLabelSelector(ls); err == nil {
				sc.Status.Selector = parsed.String()
			}
		}
	}
	return sc, nil
}

func (s *Server) writeScale(r *request, rec *store.Record) error {
	o, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
	if err != nil {
		return err
	}
	sc, err := scaleOf(r.res, o)
	if err != nil {
		return err
	}
	return writeJSON(r.c, http.StatusOK, sc)
}

// getScale serves GET {deployments,replicasets}/{name}/scale.
func (s *Server) getScale(r *request) error {
	rec, err := s.deps.Store.Get(r.c.Request().Context(), r.key())
	if err != nil {
		return err
	}
	return s.writeScale(r, rec)
}

// updateScale serves PUT .../scale: spec.replicas of the object changes,
// under the Scale's resourceVersion if it names one.
func (s *Server) updateScale(r *request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var sc api.Scale
	if err := unmarshalBody(r, b, &sc); err != nil {
		return bodyError(err, "Scale cannot be handled")
	}
	return s.scaleTo(r, func(object) (*api.Scale, error) { return &sc, nil })
}

// patchScale serves PATCH .../scale: the patch applies to the current
// Scale, and the result is written as an update would be.
func (s *Server) patchScale(r *request) error {
	ctype, err := patchType(r)
	if err != nil {
		return err
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return s.scaleTo(r, func(cur object) (*api.Scale, error) {
		sc, err := scaleOf(r.res, cur)
		if err != nil {
			return nil, err
		}
		curJSON, err := json.Marshal(sc)
		if err != nil {
			return nil, err
		}
		out, err := applyPatch(ctype, curJSON, body, reflect.TypeOf(api.Scale{}))
		if err != nil {
			return nil, err
		}
		var next api.Scale
		if err := api.Unmarshal(out, &next); err != nil {
			return nil, badRequest("the patch produced an invalid Scale: %v", err)
		}
		return &next, nil
	})
}

func (s *Server) scaleTo(r *request, want func(cur object) (*api.Scale, error)) error {
	mutate := func(cur object, curValue []byte) (object, []byte, error) {
		sc, err := want(cur)
		if err != nil {
			return nil, nil, err
		}
		if sc.Spec.Replicas < 0 {
			return nil, nil, newStatus(http.StatusUnprocessableEntity, api.StatusReasonInvalid,
				"Scale.autoscaling \""+r.ri.Name+"\" is invalid: spec.replicas: Invalid value: "+strconv.Itoa(int(sc.Spec.Replicas))+": must be greater than or equal to 0")
		}
		sent := registry.DeepCopy(cur).(map[string]any)
		if sc.ResourceVersion != "" {
			metaOf(sent)["resourceVersion"] = sc.ResourceVersion
		}
		setNested(sent, json.Number(strconv.Itoa(int(sc.Spec.Replicas))), r.res.ScaleAt().SpecReplicas...)
		return s.prepareUpdate(r, sent, cur, curValue, false)
	}
	if r.dryRun {
		// The Scale as if written; nothing is stored.
		rec, err := s.deps.Store.Get(r.c.Request().Context(), r.key())
		if err != nil {
			return err
		}
		cur, err := decodeServed(r.res, rec.Value, rec.ResourceVersion)
		if err != nil {
			return err
		}
		next, _, err := mutate(cur, rec.Value)
		if err != nil {
			return err
		}
		sc, err := scaleOf(r.res, next)
		if err != nil {
			return err
		}
		return writeJSON(r.c, http.StatusOK, sc)
	}
	rec, err := s.guaranteedUpdate(r.c.Request().Context(), r.res, r.key(), mutate)
	if err != nil {
		return err
	}
	return s.writeScale(r, rec)
}
