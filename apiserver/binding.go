package apiserver

import (
	"fmt"
	"net/http"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
)

// bind serves POST pods/{name}/binding: it sets spec.nodeName of a pod
// that has none (409 otherwise, so two schedulers can never bind one pod
// twice) and marks the pod PodScheduled.
func (s *Server) bind(r *request) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	var binding api.Binding
	if err := unmarshalBody(r, b, &binding); err != nil {
		return bodyError(err, "Binding cannot be handled")
	}
	if binding.Target.Name == "" {
		return invalid(r.res, r.ri.Name, field.ErrorList{field.Required(field.NewPath("target", "name"), "")})
	}
	if binding.Name != "" && binding.Name != r.ri.Name {
		return badRequest("the name of the binding (%s) does not match the pod's (%s)", binding.Name, r.ri.Name)
	}
	_, err = s.guaranteedUpdate(r.c.Request().Context(), r.res, r.key(), func(cur object, _ []byte) (object, []byte, error) {
		if uid := binding.UID; uid != "" && uid != nestedString(cur, "metadata", "uid") {
			return nil, nil, conflict(r.res, r.ri.Name, "the UID in the binding does not match the pod's")
		}
		if node := nestedString(cur, "spec", "nodeName"); node != "" {
			return nil, nil, conflict(r.res, r.ri.Name, fmt.Sprintf("pod %s is already assigned to node %q", r.ri.Name, node))
		}
		if nested(cur, "metadata", "deletionTimestamp") != nil {
			return nil, nil, conflict(r.res, r.ri.Name, fmt.Sprintf("pod %s is being deleted, cannot be assigned to a host", r.ri.Name))
		}
		setNested(cur, binding.Target.Name, "spec", "nodeName")
		setCondition(cur, map[string]any{
			"type": "PodScheduled", "status": "True",
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339), "lastProbeTime": nil,
		})
		return cur, nil, nil
	})
	if err != nil {
		return err
	}
	return writeJSON(r.c, http.StatusCreated, api.Status{TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Success", Code: http.StatusCreated})
}

// setCondition replaces or appends a status condition by type.
func setCondition(o object, cond map[string]any) {
	conds, _ := nested(o, "status", "conditions").([]any)
	for i, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == cond["type"] {
			conds[i] = cond
			setNested(o, conds, "status", "conditions")
			return
		}
	}
	setNested(o, append(conds, cond), "status", "conditions")
}
