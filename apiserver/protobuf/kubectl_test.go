package protobuf_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/protobuf"
	"github.com/minik8s/minik8s/internal/testenv"
	"github.com/minik8s/minik8s/internal/testsvc"
)

func kubectl(t *testing.T, s *testenv.APIServer, args ...string) string {
	t.Helper()
	out, err := s.Kubectl(t, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func getJSON[T any](t *testing.T, s *testenv.APIServer, args ...string) T {
	t.Helper()
	var v T
	out := kubectl(t, s, append(append([]string{"get"}, args...), "-o", "json")...)
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("decode kubectl output %q: %v", out, err)
	}
	return v
}

// TestKubectlTypedCommands runs the kubectl 1.32 commands that send
// protobuf bodies (create deployment and namespace POST objects, drain
// DELETEs pods with DeleteOptions) against a real API server.
func TestKubectlTypedCommands(t *testing.T) {
	testsvc.Slow(t, "the real kubectl")
	s := testenv.StartAPIServer(t, testenv.Options{})

	kubectl(t, s, "create", "namespace", "foo")
	if ns := getJSON[api.Namespace](t, s, "namespace", "foo"); ns.Name != "foo" || ns.UID == "" {
		t.Errorf("namespace foo = %+v", ns.ObjectMeta)
	}

	kubectl(t, s, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2")
	d := getJSON[api.Deployment](t, s, "deployment", "web")
	web := map[string]string{"app": "web"}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %v, want 2", d.Spec.Replicas)
	}
	if !reflect.DeepEqual(d.Labels, web) || d.Spec.Selector == nil || !reflect.DeepEqual(d.Spec.Selector.MatchLabels, web) ||
		!reflect.DeepEqual(d.Spec.Template.Labels, web) {
		t.Errorf("labels %v, selector %+v, template labels %v; want app=web everywhere",
			d.Labels, d.Spec.Selector, d.Spec.Template.Labels)
	}
	if c := d.Spec.Template.Spec.Containers; len(c) != 1 || c[0].Name != "nginx" || c[0].Image != "nginx:1.27" {
		t.Errorf("containers = %+v", c)
	}

	kubectl(t, s, "create", "deployment", "api", "-n", "foo", "--image=nginx:1.27", "--port=8080")
	d = getJSON[api.Deployment](t, s, "deployment", "api", "-n", "foo")
	if c := d.Spec.Template.Spec.Containers; len(c) != 1 || len(c[0].Ports) != 1 || c[0].Ports[0].ContainerPort != 8080 {
		t.Errorf("containers = %+v, want one with port 8080", c)
	}

	// drain deletes the node's pods with a protobuf DeleteOptions body
	// carrying --grace-period.
	s.Do(t, http.MethodPost, "/api/v1/nodes", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`)
	s.Do(t, http.MethodPost, "/api/v1/namespaces/default/pods",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"nginx"}]}}`)
	kubectl(t, s, "drain", "n1", "--force", "--grace-period=0", "--timeout=10s")
	if r := s.Do(t, http.MethodGet, "/api/v1/namespaces/default/pods/p1", nil); r.Code != http.StatusNotFound {
		t.Errorf("GET drained pod: %d %s, want 404", r.Code, r.Body)
	}
	if n := getJSON[api.Node](t, s, "node", "n1"); !n.Spec.Unschedulable {
		t.Error("drained node is schedulable")
	}
}

// envelope builds a protobuf body by hand (see decode_test.go).
func envelope(apiVersion, kind string, raw []byte) []byte {
	tm := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), apiVersion)
	tm = protowire.AppendString(protowire.AppendTag(tm, 2, protowire.BytesType), kind)
	u := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), tm)
	u = protowire.AppendBytes(protowire.AppendTag(u, 2, protowire.BytesType), raw)
	return append([]byte("k8s\x00"), u...)
}

func field(n protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, n, protowire.BytesType), v)
}

// TestProtobufSubresourcesAndErrors covers the other bodies the server
// reads into Go types (scale, binding) and the kind check of an envelope.
func TestProtobufSubresourcesAndErrors(t *testing.T) {
	s := testenv.StartAPIServer(t, testenv.Options{})
	pb := []string{"Content-Type", protobuf.MediaType}
	kubectl(t, s, "create", "deployment", "web", "--image=nginx:1.27")

	// PUT deployments/web/scale with spec.replicas 4 (Scale.spec = 2, ScaleSpec.replicas = 1).
	scale := field(2, protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 4))
	if r := s.Do(t, http.MethodPut, "/apis/apps/v1/namespaces/default/deployments/web/scale",
		envelope("autoscaling/v1", "Scale", scale), pb...); r.Code != http.StatusOK {
		t.Fatalf("PUT scale: %d %s", r.Code, r.Body)
	}
	if d := getJSON[api.Deployment](t, s, "deployment", "web"); d.Spec.Replicas == nil || *d.Spec.Replicas != 4 {
		t.Errorf("replicas after scale = %v, want 4", d.Spec.Replicas)
	}

	// POST pods/p/binding with target.name n1 (Binding.target = 2, ObjectReference.name = 3).
	s.Do(t, http.MethodPost, "/api/v1/namespaces/default/pods",
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx"}]}}`)
	binding := field(2, field(3, []byte("n1")))
	if r := s.Do(t, http.MethodPost, "/api/v1/namespaces/default/pods/p/binding",
		envelope("v1", "Binding", binding), pb...); r.Code != http.StatusCreated {
		t.Fatalf("POST binding: %d %s", r.Code, r.Body)
	}
	if p := getJSON[api.Pod](t, s, "pod", "p"); p.Spec.NodeName != "n1" {
		t.Errorf("nodeName = %q, want n1", p.Spec.NodeName)
	}

	for name, tc := range map[string]struct {
		body []byte
		code int
	}{
		"kind of another resource": {envelope("v1", "Pod", field(1, field(1, []byte("x")))), http.StatusBadRequest},
		"JSON labelled protobuf":   {[]byte(`{"metadata":{"name":"x"}}`), http.StatusBadRequest},
		"valid":                    {envelope("v1", "Namespace", field(1, field(1, []byte("bar")))), http.StatusCreated},
	} {
		if r := s.Do(t, http.MethodPost, "/api/v1/namespaces", tc.body, pb...); r.Code != tc.code {
			t.Errorf("%s: POST namespaces: %d %s, want %d", name, r.Code, r.Body, tc.code)
		}
	}
}
