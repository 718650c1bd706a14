package apiserver

import (
	"reflect"
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/apiserver/structural"
)

// recursive is a type that contains itself, as JSON schemas do.
type recursive struct {
	Name     string      `json:"name"`
	Children []recursive `json:"children"`
	Size     *api.Quantity
}

type recursiveNoQuantity struct {
	Next *recursiveNoQuantity `json:"next"`
}

func TestHoldsQuantity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		t    reflect.Type
		want bool
	}{
		{"pod", reflect.TypeOf(api.Pod{}), true},
		{"pointer to node", reflect.TypeOf(&api.Node{}), true},
		{"resource list", reflect.TypeOf(api.ResourceList{}), true},
		{"quantity", reflect.TypeOf(api.Quantity{}), true},
		{"object meta", reflect.TypeOf(api.ObjectMeta{}), false},
		{"namespace", reflect.TypeOf(api.Namespace{}), false},
		{"recursive with a quantity", reflect.TypeOf(recursive{}), true},
		{"recursive without", reflect.TypeOf(recursiveNoQuantity{}), false},
		{"string", reflect.TypeOf(""), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: computed, then cached.
			for range 2 {
				if got := holdsQuantity(tt.t); got != tt.want {
					t.Errorf("holdsQuantity(%v) = %v, want %v", tt.t, got, tt.want)
				}
			}
		})
	}
}

func TestQuantityErrors(t *testing.T) {
	t.Parallel()
	pod := func(cpu any, label string) object {
		return object{
			"metadata": map[string]any{"name": "p", "labels": map[string]any{"cpu": label}},
			"spec": map[string]any{"containers": []any{map[string]any{
				"name": "c", "resources": map[string]any{"requests": map[string]any{"cpu": cpu}},
			}}},
		}
	}
	podType := reflect.TypeOf(api.Pod{})
	tests := []struct {
		name string
		obj  object
		t    reflect.Type
		want []string // fields with errors
	}{
		{"valid", pod("100m", "lots"), podType, nil},
		{"bad request", pod("lots", "100m"), podType, []string{"spec.containers[0].resources.requests[cpu]"}},
		{"not a string", pod(true, "x"), podType, []string{"spec.containers[0].resources.requests[cpu]"}},
		{"node capacity", object{"status": map[string]any{"capacity": map[string]any{"memory": "1Gb"}}},
			reflect.TypeOf(api.Node{}), []string{"status.capacity[memory]"}},
		{"type without quantities", object{"metadata": map[string]any{"name": "lots"}}, reflect.TypeOf(api.Namespace{}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range quantityErrors(tt.obj, tt.t, nil) {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("quantityErrors fields = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnknownFieldsWalk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		t       reflect.Type
		unknown []string
		pruned  string
	}{
		{"none", `{"metadata":{"name":"p","labels":{"any":"thing"}},"spec":{"containers":[{"name":"c"}]}}`,
			reflect.TypeOf(api.Pod{}), nil, ""},
		{"top, nested, in a list", `{"bogusTop":1,"metadata":{"name":"p","bogus":{"x":1}},"spec":{"containers":[{"name":"c"},{"name":"d","bogusC":[1]}]}}`,
			reflect.TypeOf(api.Pod{}), []string{"bogusTop", "metadata.bogus", "spec.containers[1].bogusC"},
			`{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c"},{"name":"d"}]}}`},
		{"values that decode themselves are not looked into", `{"spec":{"containers":[{"name":"c","resources":{"limits":{"cpu":{"odd":1}}}}]},` +
			`"metadata":{"creationTimestamp":{"x":1},"managedFields":[{"manager":"kubectl"}]}}`,
			reflect.TypeOf(api.Pod{}), nil, ""},
		{"wrong JSON types are left to decoding", `{"metadata":"x","spec":{"containers":{"name":"c"}}}`,
			reflect.TypeOf(api.Pod{}), nil, ""},
		{"deployment template", `{"spec":{"template":{"spec":{"containers":[{"name":"c","x":1}]},"y":2}}}`,
			reflect.TypeOf(&api.Deployment{}), []string{"spec.template.spec.containers[0].x", "spec.template.y"},
			`{"spec":{"template":{"spec":{"containers":[{"name":"c"}]}}}}`},
		{"recursive type", `{"name":"a","children":[{"name":"b","children":[{"z":1}]}]}`,
			reflect.TypeOf(recursive{}), []string{"children[0].children[0].z"}, `{"children":[{"children":[{}],"name":"b"}],"name":"a"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decodeObject([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := unknownFields(v, goSchemaOf(tt.t), "", false); !slices.Equal(got, tt.unknown) {
				t.Fatalf("unknownFields = %q, want %q", got, tt.unknown)
			}
			if got := unknownFields(v, goSchemaOf(tt.t), "", true); !slices.Equal(got, tt.unknown) {
				t.Fatalf("unknownFields with prune = %q, want %q", got, tt.unknown)
			}
			want := tt.pruned
			if want == "" {
				want = tt.in
			}
			if !registry.JSONEqual(v, mustDecode(t, want)) {
				b, _ := encodeStored(v)
				t.Fatalf("pruned to %s, want %s", b, want)
			}
		})
	}
}

func mustDecode(t *testing.T, s string) object {
	t.Helper()
	o, err := decodeObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestUnknownFieldsStructural walks custom resources by their structural
// schema: declared properties, preserved unknown fields, maps, lists,
// embedded resources and the root's metadata (as ObjectMeta); and it
// agrees with package structural's own pruning.
func TestUnknownFieldsStructural(t *testing.T) {
	t.Parallel()
	schema := mustDecode(t, `{"type":"object","properties":{
		"spec":{"type":"object","properties":{
			"n":{"type":"integer"},
			"free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
			"m":{"type":"object","additionalProperties":{"type":"object","properties":{"a":{"type":"string"}}}},
			"l":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string"}}}},
			"ios":{"x-kubernetes-int-or-string":true},
			"pod":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}}}}}`)
	s, errs, err := structural.New(schema, nil, structural.Options{})
	if err != nil || len(errs) > 0 {
		t.Fatalf("schema: %v %v", err, errs)
	}
	in := `{"apiVersion":"x/v1","kind":"K","metadata":{"name":"a","bogus":1},"top":1,"spec":{"n":1,"x":2,
		"free":{"any":{"thing":1}},"m":{"k1":{"a":"b","z":1}},"l":[{"k":"v","y":1}],"ios":"50%",
		"pod":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","w":1},"spec":{"whatever":1},"status":{}}}}`
	want := []string{"metadata.bogus", "spec.l[0].y", "spec.m.k1.z", "spec.pod.metadata.w", "spec.pod.status", "spec.x", "top"}
	v := mustDecode(t, in)
	view := schemaFor(registry.Schema{Structural: &registry.Structural{Schema: s}})
	if got := unknownFields(v, view, "", true); !slices.Equal(got, want) {
		t.Fatalf("unknownFields = %q, want %q", got, want)
	}
	// What is left is what package structural's decoding keeps.
	again := mustDecode(t, in)
	if _, err := s.Decode(again, structural.DecodeOptions{}); err != nil {
		t.Fatal(err)
	}
	if !registry.JSONEqual(v, again) {
		a, _ := encodeStored(v)
		b, _ := encodeStored(again)
		t.Fatalf("walk pruned to %s\nstructural to %s", a, b)
	}
}

// BenchmarkUnknownFields walks a Deployment's pod, as every write of one
// does to find unknown fields (there are none).
func BenchmarkUnknownFields(b *testing.B) {
	in := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d9c5b6f4-x2x9q","generateName":"web-7d9c5b6f4-",` +
		`"namespace":"default","labels":{"app":"web","pod-template-hash":"7d9c5b6f4"},"ownerReferences":[{"apiVersion":"apps/v1",` +
		`"kind":"ReplicaSet","name":"web-7d9c5b6f4","uid":"0b0e9a3c-1f55-4a8e-9d43-1c2b1e0f6a11","controller":true,"blockOwnerDeletion":true}]},` +
		`"spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m"}},` +
		`"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always",` +
		`"volumeMounts":[{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}]}],` +
		`"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default",` +
		`"securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists",` +
		`"effect":"NoExecute","tolerationSeconds":300}],"volumes":[{"name":"kube-api-access-abcde","projected":{"sources":[` +
		`{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}]}}]},` +
		`"status":{"phase":"Pending","qosClass":"Burstable"}}`)
	v, err := decodeObject(in)
	if err != nil {
		b.Fatal(err)
	}
	s := goSchemaOf(reflect.TypeFor[api.Pod]())
	b.ReportAllocs()
	for b.Loop() {
		if u := unknownFields(v, s, "", true); len(u) > 0 {
			b.Fatal(u)
		}
	}
}
