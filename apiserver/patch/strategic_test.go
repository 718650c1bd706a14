package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Mini API types carrying the same patch tags as the real ones.
type tTypeMeta struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
}

type tMeta struct {
	Name            string            `json:"name,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	Finalizers      []string          `json:"finalizers,omitempty" patchStrategy:"merge"`
	OwnerReferences []tOwner          `json:"ownerReferences,omitempty" patchStrategy:"merge" patchMergeKey:"uid"`
}

type tOwner struct {
	UID  string `json:"uid"`
	Name string `json:"name"`
}

type tPod struct {
	tTypeMeta `json:",inline"`
	tMeta     `json:"metadata,omitempty"`
	Spec      tPodSpec `json:"spec,omitempty"`
}

type tPodSpec struct {
	Volumes        []tVolume         `json:"volumes,omitempty" patchStrategy:"merge,retainKeys" patchMergeKey:"name"`
	InitContainers []tContainer      `json:"initContainers,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	Containers     []tContainer      `json:"containers" patchStrategy:"merge" patchMergeKey:"name"`
	Tolerations    []map[string]any  `json:"tolerations,omitempty"`
	NodeSelector   map[string]string `json:"nodeSelector,omitempty"`
	Affinity       *tAffinity        `json:"affinity,omitempty" patchStrategy:"replace"`
}

type tAffinity struct {
	Zone string `json:"zone,omitempty"`
	Rack string `json:"rack,omitempty"`
}

type tContainer struct {
	Name  string   `json:"name"`
	Image string   `json:"image,omitempty"`
	Args  []string `json:"args,omitempty"`
	Env   []tEnv   `json:"env,omitempty" patchStrategy:"merge" patchMergeKey:"name"`
	Ports []tPort  `json:"ports,omitempty" patchStrategy:"merge" patchMergeKey:"containerPort"`
}

type tEnv struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

type tPort struct {
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type tVolume struct {
	Name          string `json:"name"`
	tVolumeSource `json:",inline"`
}

type tVolumeSource struct {
	EmptyDir  *struct{}         `json:"emptyDir,omitempty"`
	ConfigMap map[string]string `json:"configMap,omitempty"`
}

type tDeployment struct {
	tTypeMeta `json:",inline"`
	Metadata  tMeta `json:"metadata,omitempty"`
	Spec      struct {
		Replicas *int32    `json:"replicas,omitempty"`
		Strategy tStrategy `json:"strategy,omitempty" patchStrategy:"retainKeys"`
		Template struct {
			Metadata tMeta    `json:"metadata,omitempty"`
			Spec     tPodSpec `json:"spec,omitempty"`
		} `json:"template"`
	} `json:"spec"`
}

type tStrategy struct {
	Type          string         `json:"type,omitempty"`
	RollingUpdate map[string]any `json:"rollingUpdate,omitempty"`
}

const basePod = `{
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}, "annotations": {"a": "1"},
    "finalizers": ["f1", "f2"], "ownerReferences": [{"uid": "u1", "name": "rs1"}]},
  "spec": {
    "containers": [
      {"name": "nginx", "image": "nginx:1.1", "args": ["-a", "-b"],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "S", "value": "s"}],
       "ports": [{"containerPort": 80, "protocol": "TCP"}]},
      {"name": "sidecar", "image": "busybox"}],
    "volumes": [{"name": "cfg", "configMap": {"name": "c1"}}],
    "tolerations": [{"key": "k1"}],
    "nodeSelector": {"disk": "ssd"},
    "affinity": {"zone": "a", "rack": "r1"}
  },
  "status": {"x": {"y": 1, "z": 2}, "big": 9007199254740993}
}`

const baseDeployment = `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web"},
  "spec": {
    "replicas": 2,
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
    "template": {"metadata": {"labels": {"app": "web"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:1.1"}, {"name": "x", "image": "x"}]}}
  }
}`

// canon re-encodes JSON text with sorted keys so that documents compare as text.
func canon(t *testing.T, s string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("bad JSON in test: %v\n%s", err, s)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(buf.String())
}

// withPod returns basePod with edit applied to its decoded form.
func withPod(t *testing.T, edit func(p map[string]any)) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(basePod))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func spec(p map[string]any) map[string]any { return p["spec"].(map[string]any) }
func meta(p map[string]any) map[string]any { return p["metadata"].(map[string]any) }
func container(p map[string]any, i int) map[string]any {
	return spec(p)["containers"].([]any)[i].(map[string]any)
}
func obj(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

func TestStrategicMergePod(t *testing.T) {
	tests := []struct {
		name  string
		patch string
		want  func(p map[string]any) // edits basePod into the expected result
	}{
		{
			name:  "kubectl apply changing a label",
			patch: `{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\"}\n"},"labels":{"app":"x"}}}`,
			want: func(p map[string]any) {
				meta(p)["annotations"].(map[string]any)["kubectl.kubernetes.io/last-applied-configuration"] = "{\"apiVersion\":\"v1\"}\n"
				meta(p)["labels"].(map[string]any)["app"] = "x"
			},
		},
		{
			name:  "kubectl set image merges the container by name",
			patch: `{"spec":{"containers":[{"image":"nginx:1.2","name":"nginx"}]}}`,
			want:  func(p map[string]any) { container(p, 0)["image"] = "nginx:1.2" },
		},
		{
			name:  "kubectl apply deleting a container",
			patch: `{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"$patch":"delete","name":"sidecar"}]}}`,
			want:  func(p map[string]any) { spec(p)["containers"] = spec(p)["containers"].([]any)[:1] },
		},
		{
			name:  "null deletes a key",
			patch: `{"metadata":{"labels":{"tier":null}},"spec":{"nodeSelector":null}}`,
			want: func(p map[string]any) {
				delete(meta(p)["labels"].(map[string]any), "tier")
				delete(spec(p), "nodeSelector")
			},
		},
		{
			name:  "env merged by name",
			patch: `{"spec":{"containers":[{"name":"nginx","env":[{"name":"A","value":"9"},{"name":"C","value":"3"},{"name":"B","$patch":"delete"}]}]}}`,
			want: func(p map[string]any) {
				container(p, 0)["env"] = obj(`[{"name":"A","value":"9"},{"name":"S","value":"s"},{"name":"C","value":"3"}]`)
			},
		},
		{
			name:  "ports merged by containerPort",
			patch: `{"spec":{"containers":[{"name":"nginx","ports":[{"containerPort":443},{"containerPort":80,"protocol":"UDP"}]}]}}`,
			want: func(p map[string]any) {
				container(p, 0)["ports"] = obj(`[{"containerPort":80,"protocol":"UDP"},{"containerPort":443}]`)
			},
		},
		{
			name:  "args without strategy replaced",
			patch: `{"spec":{"containers":[{"name":"nginx","args":["-c"]}]}}`,
			want:  func(p map[string]any) { container(p, 0)["args"] = obj(`["-c"]`) },
		},
		{
			name:  "list of objects without strategy replaced",
			patch: `{"spec":{"tolerations":[{"key":"k2"}]}}`,
			want:  func(p map[string]any) { spec(p)["tolerations"] = obj(`[{"key":"k2"}]`) },
		},
		{
			name:  "finalizers merged as a set",
			patch: `{"metadata":{"finalizers":["f2","f3","f3"]}}`,
			want:  func(p map[string]any) { meta(p)["finalizers"] = obj(`["f1","f2","f3"]`) },
		},
		{
			name:  "deleteFromPrimitiveList",
			patch: `{"metadata":{"$deleteFromPrimitiveList/finalizers":["f1","nope"],"finalizers":["f9"]}}`,
			want:  func(p map[string]any) { meta(p)["finalizers"] = obj(`["f2","f9"]`) },
		},
		{
			name:  "ownerReferences merged by uid",
			patch: `{"metadata":{"ownerReferences":[{"uid":"u2","name":"rs2"}]}}`,
			want: func(p map[string]any) {
				meta(p)["ownerReferences"] = obj(`[{"uid":"u1","name":"rs1"},{"uid":"u2","name":"rs2"}]`)
			},
		},
		{
			name:  "unknown fields merged as by a JSON merge patch",
			patch: `{"status":{"x":{"y":null,"w":[1,null]},"new":{"a":1,"b":null}}}`,
			want: func(p map[string]any) {
				p["status"].(map[string]any)["x"] = obj(`{"z":2,"w":[1,null]}`)
				p["status"].(map[string]any)["new"] = obj(`{"a":1}`)
			},
		},
		{
			name:  "$patch replace on a map",
			patch: `{"spec":{"nodeSelector":{"$patch":"replace","zone":"b","gone":null}}}`,
			want:  func(p map[string]any) { spec(p)["nodeSelector"] = obj(`{"zone":"b"}`) },
		},
		{
			name:  "$patch delete on a map",
			patch: `{"spec":{"nodeSelector":{"$patch":"delete"}}}`,
			want:  func(p map[string]any) { spec(p)["nodeSelector"] = obj(`{}`) },
		},
		{
			name:  "$patch merge on a map is the default",
			patch: `{"spec":{"nodeSelector":{"$patch":"merge","zone":"b"}}}`,
			want:  func(p map[string]any) { spec(p)["nodeSelector"] = obj(`{"disk":"ssd","zone":"b"}`) },
		},
		{
			name:  "patchStrategy replace on a struct",
			patch: `{"spec":{"affinity":{"zone":"b"}}}`,
			want:  func(p map[string]any) { spec(p)["affinity"] = obj(`{"zone":"b"}`) },
		},
		{
			name:  "$patch replace in a list",
			patch: `{"spec":{"containers":[{"$patch":"replace"},{"name":"only","image":"o","args":null}]}}`,
			want:  func(p map[string]any) { spec(p)["containers"] = obj(`[{"name":"only","image":"o"}]`) },
		},
		{
			name:  "$patch merge element accepted",
			patch: `{"spec":{"containers":[{"$patch":"merge","name":"nginx","image":"m"}]}}`,
			want:  func(p map[string]any) { container(p, 0)["image"] = "m" },
		},
		{
			name:  "$patch delete of a missing element is a no-op",
			patch: `{"spec":{"containers":[{"$patch":"delete","name":"ghost"}]}}`,
			want:  func(p map[string]any) {},
		},
		{
			name:  "$retainKeys on a volume",
			patch: `{"spec":{"volumes":[{"$retainKeys":["emptyDir","name"],"emptyDir":{},"name":"cfg"}]}}`,
			want:  func(p map[string]any) { spec(p)["volumes"] = obj(`[{"name":"cfg","emptyDir":{}}]`) },
		},
		{
			name:  "new merging list: nulls and directives processed",
			patch: `{"spec":{"initContainers":[{"name":"i","image":"x","args":null,"env":[{"name":"E","$patch":"delete"},{"name":"F"}]}]}}`,
			want: func(p map[string]any) {
				spec(p)["initContainers"] = obj(`[{"name":"i","image":"x","env":[{"name":"F"}]}]`)
			},
		},
		{
			name:  "empty patch list keeps a merging list",
			patch: `{"spec":{"containers":[]}}`,
			want:  func(p map[string]any) {},
		},
		{
			name:  "setElementOrder reorders",
			patch: `{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"nginx"}]}}`,
			want: func(p map[string]any) {
				c := spec(p)["containers"].([]any)
				spec(p)["containers"] = []any{c[1], c[0]}
			},
		},
		{
			name:  "setElementOrder places a new element",
			patch: `{"spec":{"$setElementOrder/containers":[{"name":"nginx"},{"name":"new"},{"name":"sidecar"}],"containers":[{"name":"new","image":"n"}]}}`,
			want: func(p map[string]any) {
				c := spec(p)["containers"].([]any)
				spec(p)["containers"] = []any{c[0], obj(`{"name":"new","image":"n"}`), c[1]}
			},
		},
		{
			name: "setElementOrder keeps server-only elements in place",
			patch: `{"spec":{"containers":[{"name":"nginx","$setElementOrder/env":[{"name":"A"},{"name":"C"},{"name":"B"}],` +
				`"env":[{"name":"C","value":"3"}]}]}}`,
			want: func(p map[string]any) {
				container(p, 0)["env"] = obj(`[{"name":"A","value":"1"},{"name":"C","value":"3"},{"name":"B","value":"2"},{"name":"S","value":"s"}]`)
			},
		},
		{
			name:  "setElementOrder of a primitive list",
			patch: `{"metadata":{"$setElementOrder/finalizers":["f2","f1"]}}`,
			want:  func(p map[string]any) { meta(p)["finalizers"] = obj(`["f2","f1"]`) },
		},
		{
			name:  "setElementOrder of a replaced list is dropped",
			patch: `{"spec":{"$setElementOrder/tolerations":[{"key":"k2"}],"tolerations":[{"key":"k2"}]}}`,
			want:  func(p map[string]any) { spec(p)["tolerations"] = obj(`[{"key":"k2"}]`) },
		},
		{
			name:  "large integers stay exact",
			patch: `{"status":{"big2":9007199254740995}}`,
			want:  func(p map[string]any) { p["status"].(map[string]any)["big2"] = json.Number("9007199254740995") },
		},
		{
			name:  "top-level $patch replace",
			patch: `{"$patch":"replace","kind":"Pod","metadata":{"name":"web"}}`,
			want: func(p map[string]any) {
				for k := range p {
					delete(p, k)
				}
				p["kind"] = "Pod"
				p["metadata"] = obj(`{"name":"web"}`)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StrategicMerge([]byte(basePod), []byte(tt.patch), reflect.TypeOf(tPod{}))
			if err != nil {
				t.Fatal(err)
			}
			want := canon(t, withPod(t, tt.want))
			if canon(t, string(got)) != want {
				t.Errorf("got\n%s\nwant\n%s", canon(t, string(got)), want)
			}
		})
	}
}

func TestStrategicMergeDeployment(t *testing.T) {
	tests := []struct {
		name  string
		patch string
		want  string
	}{
		{
			name:  "kubectl rollout restart",
			patch: `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-01T00:00:00Z"}}}}}`,
			want: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,
				"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
				"template":{"metadata":{"labels":{"app":"web"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-01T00:00:00Z"}},
				"spec":{"containers":[{"name":"nginx","image":"nginx:1.1"},{"name":"x","image":"x"}]}}}}`,
		},
		{
			name:  "kubectl scale",
			patch: `{"spec":{"replicas":5}}`,
			want: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":5,
				"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
				"template":{"metadata":{"labels":{"app":"web"}},
				"spec":{"containers":[{"name":"nginx","image":"nginx:1.1"},{"name":"x","image":"x"}]}}}}`,
		},
		{
			name: "kubectl apply switching to Recreate with retainKeys and deleting a container",
			patch: `{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"},` +
				`"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"$patch":"delete","name":"x"}]}}}}`,
			want: `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,
				"strategy":{"type":"Recreate"},
				"template":{"metadata":{"labels":{"app":"web"}},
				"spec":{"containers":[{"name":"nginx","image":"nginx:1.1"}]}}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := StrategicMerge([]byte(baseDeployment), []byte(tt.patch), reflect.TypeOf(tDeployment{}))
			if err != nil {
				t.Fatal(err)
			}
			if canon(t, string(got)) != canon(t, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", canon(t, string(got)), canon(t, tt.want))
			}
		})
	}
}

func TestStrategicMergeNilSchema(t *testing.T) {
	got, err := StrategicMerge([]byte(basePod), []byte(`{"spec":{"containers":[{"name":"n"}],"nodeSelector":{"zone":"b"}}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := withPod(t, func(p map[string]any) {
		spec(p)["containers"] = obj(`[{"name":"n"}]`)
		spec(p)["nodeSelector"] = obj(`{"disk":"ssd","zone":"b"}`)
	})
	if canon(t, string(got)) != canon(t, want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStrategicMergeErrors(t *testing.T) {
	tests := []struct {
		name    string
		patch   string
		wantErr error
		msg     string
	}{
		{"not JSON", `{"spec":`, ErrMalformed, "must be a JSON object"},
		{"array", `[{"op":"add"}]`, ErrMalformed, "must be a JSON object"},
		{"null", `null`, ErrMalformed, "must be a JSON object"},
		{"trailing data", `{} {}`, ErrMalformed, "unexpected data"},
		{"element without merge key", `{"spec":{"containers":[{"image":"x"}]}}`, ErrMalformed, `spec.containers[0]: the element has no merge key "name"`},
		{"delete without merge key", `{"spec":{"containers":[{"$patch":"delete"}]}}`, ErrMalformed, `$patch: delete needs the merge key "name"`},
		{"unknown $patch in list", `{"spec":{"containers":[{"$patch":"shred","name":"x"}]}}`, ErrMalformed, "unknown $patch directive shred"},
		{"unknown $patch in map", `{"spec":{"$patch":"shred"}}`, ErrMalformed, "spec: unknown $patch directive shred"},
		{"unknown directive", `{"spec":{"$frobnicate":1}}`, ErrMalformed, `unknown directive "$frobnicate"`},
		{"retainKeys not a list", `{"spec":{"strategy":{"$retainKeys":"type"}}}`, ErrMalformed, "$retainKeys must be a list of strings"},
		{"retainKeys mismatch", `{"spec":{"volumes":[{"name":"cfg","$retainKeys":["name"],"emptyDir":{}}]}}`, ErrInvalid, `"emptyDir", which is not in $retainKeys`},
		{"deleteFromPrimitiveList not a list", `{"metadata":{"$deleteFromPrimitiveList/finalizers":"f1"}}`, ErrMalformed, "must be a list"},
		{"deleteFromPrimitiveList of objects", `{"metadata":{"$deleteFromPrimitiveList/finalizers":[{}]}}`, ErrMalformed, "only scalars"},
		{"setElementOrder not a list", `{"spec":{"$setElementOrder/containers":{}}}`, ErrMalformed, "must be a list"},
		{"setElementOrder without merge key", `{"spec":{"$setElementOrder/containers":[{"image":"x"}]}}`, ErrMalformed, `element 0 has no merge key "name"`},
		{"list of lists", `{"metadata":{"finalizers":[["a"]]}}`, ErrMalformed, "lists of lists"},
		{"mixed list", `{"metadata":{"finalizers":["a",{"b":1}]}}`, ErrMalformed, "mixes objects and scalars"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := StrategicMerge([]byte(basePod), []byte(tt.patch), reflect.TypeOf(tPod{}))
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error = %v, want %v containing %q", err, tt.wantErr, tt.msg)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	pod := reflect.TypeOf(tPod{})
	tests := []struct {
		name string
		t    reflect.Type
		key  string
		want fieldMeta
	}{
		{"inline embedded", pod, "kind", fieldMeta{typ: reflect.TypeOf("")}},
		{"named embedded", pod, "metadata", fieldMeta{typ: reflect.TypeOf(tMeta{})}},
		{"merge list", reflect.TypeOf(tPodSpec{}), "containers",
			fieldMeta{typ: reflect.TypeOf([]tContainer{}), merge: true, mergeKey: "name"}},
		{"merge and retainKeys", reflect.TypeOf(tPodSpec{}), "volumes",
			fieldMeta{typ: reflect.TypeOf([]tVolume{}), merge: true, mergeKey: "name"}},
		{"pointer deref and replace", reflect.TypeOf(&tPodSpec{}), "affinity",
			fieldMeta{typ: reflect.TypeOf(tAffinity{}), replace: true}},
		{"promoted through inline", reflect.TypeOf(tVolume{}), "emptyDir", fieldMeta{typ: reflect.TypeOf(struct{}{})}},
		{"map value", reflect.TypeOf(map[string]tAffinity{}), "anything", fieldMeta{typ: reflect.TypeOf(tAffinity{})}},
		{"unknown", pod, "status", fieldMeta{}},
		{"nil type", nil, "x", fieldMeta{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lookup(tt.t, tt.key); got != tt.want {
				t.Errorf("lookup(%v, %q) = %+v, want %+v", tt.t, tt.key, got, tt.want)
			}
		})
	}
}
