package apiserver

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/apiserver/registry"
)

// selectableZero is the value of every selectable field of every served
// kind when an object lacks the field: the zero value of its type, as in
// Kubernetes, whose selectable fields come from the typed object.
var selectableZero = map[string]map[string]string{
	"Namespace": {"status.phase": ""},
	"Node":      {"spec.unschedulable": "false"},
	"Pod": {"spec.nodeName": "", "spec.schedulerName": "", "spec.restartPolicy": "", "spec.serviceAccountName": "",
		"spec.hostNetwork": "false", "status.phase": "", "status.podIP": "", "status.nominatedNodeName": ""},
	"Event": {"involvedObject.kind": "", "involvedObject.namespace": "", "involvedObject.name": "", "involvedObject.uid": "",
		"involvedObject.apiVersion": "", "involvedObject.resourceVersion": "", "involvedObject.fieldPath": "",
		"reason": "", "reportingComponent": "", "source": "", "type": ""},
	"ReplicaSet": {"status.replicas": "0"},
	"Secret":     {"type": ""},
	"Job":        {"status.successful": "0"},
	"Service":    {"spec.clusterIP": "", "spec.type": ""},
}

func testFilter(t *testing.T, res *registry.Resource, selector string) *filter {
	t.Helper()
	req := httptest.NewRequest("GET", "/?fieldSelector="+url.QueryEscape(selector), nil)
	f, err := newFilter(&request{c: echo.New().NewContext(req, httptest.NewRecorder()), res: res})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestFieldSelectorsZeroValues checks every selectable field of every
// served kind: an object that lacks the field matches its zero value and
// nothing else, and one that has it matches its value.
func TestFieldSelectorsZeroValues(t *testing.T) {
	for _, res := range registry.All() {
		for name, path := range res.Fields {
			zero, ok := selectableZero[res.Kind][name]
			if !ok {
				t.Errorf("%s %s: no zero value in the table", res.Kind, name)
				continue
			}
			t.Run(res.Kind+"/"+name, func(t *testing.T) {
				absent := object{"metadata": map[string]any{"name": "x"}}
				if !testFilter(t, res, name+"="+zero).matches(absent) {
					t.Errorf("%s=%q does not select an object without the field", name, zero)
				}
				if testFilter(t, res, name+"!="+zero).matches(absent) {
					t.Errorf("%s!=%q selects an object without the field", name, zero)
				}
				if testFilter(t, res, name+"=other").matches(absent) {
					t.Errorf("%s=other selects an object without the field", name)
				}
				value := any("v1")
				switch zero {
				case "false":
					value = true
				case "0":
					value = 3
				}
				present := object{"metadata": map[string]any{"name": "x"}}
				setNested(present, value, path...)
				if !testFilter(t, res, name+"="+fieldString(value)).matches(present) || testFilter(t, res, name+"="+zero).matches(present) {
					t.Errorf("%s: an object with %v is not selected by its value alone", name, value)
				}
			})
		}
	}
	for kind, fields := range selectableZero {
		res, _ := registry.ByKind(kind)
		for name := range fields {
			if _, ok := res.Fields[name]; !ok {
				t.Errorf("%s %s is in the table but not selectable", kind, name)
			}
		}
	}
}

// TestFieldSelectorsTools checks the selectors kubectl and test tools send.
func TestFieldSelectorsTools(t *testing.T) {
	pods, _ := registry.ByKind("Pod")
	nodes, _ := registry.ByKind("Node")
	tests := []struct {
		name     string
		res      *registry.Resource
		selector string
		obj      object
		want     bool
	}{
		{"schedulable nodes: unschedulable absent", nodes, "spec.unschedulable=false", object{"spec": map[string]any{}}, true},
		{"schedulable nodes: no spec", nodes, "spec.unschedulable=false", object{}, true},
		{"schedulable nodes: cordoned", nodes, "spec.unschedulable=false", object{"spec": map[string]any{"unschedulable": true}}, false},
		{"cordoned nodes", nodes, "spec.unschedulable=true", object{"spec": map[string]any{"unschedulable": true}}, true},
		{"drain: pods on the node", pods, "spec.nodeName=n1", object{"spec": map[string]any{"nodeName": "n1"}}, true},
		{"drain: pods on another node", pods, "spec.nodeName=n1", object{"spec": map[string]any{"nodeName": "n2"}}, false},
		{"drain: unbound pods", pods, "spec.nodeName=n1", object{"spec": map[string]any{}}, false},
		{"unbound pods", pods, "spec.nodeName=", object{"spec": map[string]any{}}, true},
		{"kubelet: its pods not terminated", pods, "spec.nodeName=n1,status.phase!=Succeeded,status.phase!=Failed",
			object{"spec": map[string]any{"nodeName": "n1"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testFilter(t, tt.res, tt.selector).matches(tt.obj); got != tt.want {
				t.Errorf("%s matches %v = %v, want %v", tt.selector, tt.obj, got, tt.want)
			}
		})
	}
}
