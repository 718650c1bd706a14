package patch

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestApply(t *testing.T) {
	const orig = `{"kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b"}]}}`
	pod := reflect.TypeOf(tPod{})
	tests := []struct {
		name    string
		ctype   string
		patch   string
		want    string
		wantErr error
		msg     string
	}{
		{name: "json patch", ctype: JSONPatchType,
			patch: `[{"op":"add","path":"/spec/containers/1/image","value":"b:2"},{"op":"add","path":"/metadata/labels/x","value":"y"}]`,
			want:  `{"kind":"Pod","metadata":{"name":"web","labels":{"app":"web","x":"y"}},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:2"}]}}`},
		{name: "json patch test op passes", ctype: JSONPatchType,
			patch: `[{"op":"test","path":"/metadata/name","value":"web"},{"op":"remove","path":"/metadata/labels"}]`,
			want:  `{"kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b"}]}}`},
		{name: "json patch test op fails", ctype: JSONPatchType,
			patch: `[{"op":"test","path":"/metadata/name","value":"db"}]`, wantErr: ErrInvalid, msg: "apply JSON patch"},
		{name: "json patch missing path", ctype: JSONPatchType,
			patch: `[{"op":"replace","path":"/spec/nodeName","value":"n"}]`, wantErr: ErrInvalid},
		{name: "json patch negative index refused", ctype: JSONPatchType,
			patch: `[{"op":"remove","path":"/spec/containers/-1"}]`, wantErr: ErrInvalid},
		{name: "json patch unknown op", ctype: JSONPatchType,
			patch: `[{"op":"frob","path":"/a"}]`, wantErr: ErrMalformed, msg: "unsupported operation"},
		{name: "json patch test op without a value (json-patch panicked)", ctype: JSONPatchType,
			patch: `[{"op":"test","path":""}]`, wantErr: ErrMalformed, msg: "has no value"},
		{name: "json patch not a list", ctype: JSONPatchType,
			patch: `{"op":"add"}`, wantErr: ErrMalformed, msg: "decode JSON patch"},
		{name: "json patch replacing the root by a string", ctype: JSONPatchType,
			patch: `[{"op":"replace","path":"","value":"x"}]`, wantErr: ErrInvalid},
		{name: "merge patch", ctype: MergePatchType,
			patch: `{"metadata":{"labels":{"app":null,"v":"2"}},"spec":{"containers":[{"name":"c"}]}}`,
			want:  `{"kind":"Pod","metadata":{"name":"web","labels":{"v":"2"}},"spec":{"containers":[{"name":"c"}]}}`},
		{name: "merge patch with charset", ctype: MergePatchType + "; charset=utf-8",
			patch: `{"spec":null}`, want: `{"kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}}}`},
		{name: "merge patch not JSON", ctype: MergePatchType, patch: `{"a":`, wantErr: ErrMalformed},
		{name: "merge patch giving a non-object", ctype: MergePatchType, patch: `"x"`, wantErr: ErrInvalid, msg: "not a JSON object"},
		{name: "strategic merge patch", ctype: StrategicMergePatchType,
			patch: `{"spec":{"containers":[{"name":"b","image":"b:3"}]}}`,
			want:  `{"kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:3"}]}}`},
		{name: "strategic merge patch malformed", ctype: StrategicMergePatchType, patch: `[]`, wantErr: ErrMalformed},
		{name: "server-side apply", ctype: ApplyPatchType, patch: `kind: Pod`, wantErr: ErrUnsupported, msg: `"application/apply-patch+yaml"`},
		{name: "unknown type", ctype: "application/json", patch: `{}`, wantErr: ErrUnsupported},
		{name: "no type", ctype: "", patch: `{}`, wantErr: ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(tt.ctype, []byte(orig), []byte(tt.patch), pod)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("error = %v, want %v containing %q", err, tt.wantErr, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if canon(t, string(got)) != canon(t, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", got, canon(t, tt.want))
			}
		})
	}
}

func TestApplyOriginalNotObject(t *testing.T) {
	for _, orig := range []string{`[]`, `{"a":`, ``} {
		_, err := Apply(MergePatchType, []byte(orig), []byte(`{}`), nil)
		if err == nil || errors.Is(err, ErrMalformed) || errors.Is(err, ErrInvalid) {
			t.Errorf("Apply on original %q: error = %v, want a plain error", orig, err)
		}
	}
}

// bombPatch is a JSON patch that adds an array of about 1 KiB and copies
// it onto itself copies times, doubling it each time.
func bombPatch(copies int) string {
	ops := []string{`{"op":"add","path":"/bomb","value":[` + strings.Repeat(`"xxxxxxxxxxxxxx",`, 63) + `"x"]}`}
	for range copies {
		ops = append(ops, `{"op":"copy","from":"/bomb","path":"/bomb/-"}`)
	}
	return "[" + strings.Join(ops, ",") + "]"
}

// TestApplyBounds checks the bounds on a JSON patch's work: the number of
// operations (413 in Kubernetes) and the bytes its copies add (422).
func TestApplyBounds(t *testing.T) {
	manyOps := "[" + strings.Repeat(`{"op":"test","path":"/kind","value":"Pod"},`, MaxJSONPatchOps) + `{"op":"test","path":"/kind","value":"Pod"}]`
	tests := []struct {
		name    string
		patch   string
		wantErr error
		msg     string
	}{
		{"as many operations as allowed", "[" + strings.Repeat(`{"op":"test","path":"/kind","value":"Pod"},`, MaxJSONPatchOps-1) +
			`{"op":"test","path":"/kind","value":"Pod"}]`, nil, ""},
		{"one operation too many", manyOps, ErrTooLarge, "The allowed maximum operations in a JSON patch is 10000, got 10001"},
		{"copies within the limit", bombPatch(10), nil, ""},
		{"the patch bomb: 16 copies of an array onto itself", bombPatch(16), ErrInvalid,
			"the accumulated size increase of copy is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Apply(JSONPatchType, []byte(`{"kind":"Pod"}`), []byte(tt.patch), nil)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(out) > MaxCopyBytes+len(tt.patch) {
					t.Fatalf("result of %d bytes", len(out))
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error = %v, want %v containing %q", err, tt.wantErr, tt.msg)
			}
		})
	}
}

// TestStrategicMergeAPITypes runs what kubectl sends against the real types.
func TestStrategicMergeAPITypes(t *testing.T) {
	replicas := int32(2)
	dep := api.Deployment{
		TypeMeta:   api.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: api.ObjectMeta{Name: "web", Namespace: "default", Finalizers: []string{"f1"}},
		Spec: api.DeploymentSpec{
			Replicas: &replicas,
			Selector: &api.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Strategy: api.DeploymentStrategy{Type: api.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &api.RollingUpdateDeployment{}},
			Template: api.PodTemplateSpec{
				ObjectMeta: api.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: api.PodSpec{
					Containers: []api.Container{
						{Name: "nginx", Image: "nginx:1.1", Env: []api.EnvVar{{Name: "A", Value: "1"}},
							Ports: []api.ContainerPort{{ContainerPort: 80}}},
						{Name: "log", Image: "busybox", Args: []string{"a", "b"}},
					},
					Volumes: []api.Volume{{Name: "v", VolumeSource: api.VolumeSource{EmptyDir: &api.EmptyDirVolumeSource{}}}},
				},
			},
		},
	}
	orig, err := json.Marshal(dep)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		patch string
		check func(t *testing.T, d api.Deployment)
	}{
		{"set image", `{"spec":{"template":{"spec":{"containers":[{"image":"nginx:1.2","name":"nginx"}]}}}}`,
			func(t *testing.T, d api.Deployment) {
				c := d.Spec.Template.Spec.Containers
				if len(c) != 2 || c[0].Image != "nginx:1.2" || len(c[0].Env) != 1 || c[1].Image != "busybox" {
					t.Errorf("containers = %+v", c)
				}
			}},
		{"rollout restart", `{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-01-01T00:00:00Z"}}}}}`,
			func(t *testing.T, d api.Deployment) {
				m := d.Spec.Template.ObjectMeta
				if m.Annotations["kubectl.kubernetes.io/restartedAt"] == "" || m.Labels["app"] != "web" {
					t.Errorf("template metadata = %+v", m)
				}
			}},
		{"env and ports merge, args replace", `{"spec":{"template":{"spec":{"containers":[` +
			`{"name":"nginx","env":[{"name":"B","value":"2"}],"ports":[{"containerPort":443}]},{"name":"log","args":["c"]}]}}}}`,
			func(t *testing.T, d api.Deployment) {
				c := d.Spec.Template.Spec.Containers
				if len(c[0].Env) != 2 || len(c[0].Ports) != 2 || !reflect.DeepEqual(c[1].Args, []string{"c"}) {
					t.Errorf("containers = %+v", c)
				}
			}},
		{"apply deleting a container and switching strategy", `{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":null,"type":"Recreate"},` +
			`"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"$patch":"delete","name":"log"}]}}}}`,
			func(t *testing.T, d api.Deployment) {
				if c := d.Spec.Template.Spec.Containers; len(c) != 1 || c[0].Name != "nginx" {
					t.Errorf("containers = %+v", c)
				}
				if s := d.Spec.Strategy; s.Type != api.RecreateDeploymentStrategyType || s.RollingUpdate != nil {
					t.Errorf("strategy = %+v", s)
				}
			}},
		{"volume retainKeys", `{"spec":{"template":{"spec":{"volumes":[{"$retainKeys":["hostPath","name"],"hostPath":{"path":"/x"},"name":"v"}]}}}}`,
			func(t *testing.T, d api.Deployment) {
				v := d.Spec.Template.Spec.Volumes
				if len(v) != 1 || v[0].EmptyDir != nil || v[0].HostPath == nil || v[0].HostPath.Path != "/x" {
					t.Errorf("volumes = %+v", v)
				}
			}},
		{"finalizers merge and delete", `{"metadata":{"finalizers":["f2"],"$deleteFromPrimitiveList/finalizers":["f1"]}}`,
			func(t *testing.T, d api.Deployment) {
				if !reflect.DeepEqual(d.Finalizers, []string{"f2"}) {
					t.Errorf("finalizers = %v", d.Finalizers)
				}
			}},
		{"selector matchLabels merge", `{"spec":{"selector":{"matchLabels":{"tier":"fe"}}}}`,
			func(t *testing.T, d api.Deployment) {
				if len(d.Spec.Selector.MatchLabels) != 2 {
					t.Errorf("selector = %+v", d.Spec.Selector)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Apply(StrategicMergePatchType, orig, []byte(tt.patch), reflect.TypeOf(api.Deployment{}))
			if err != nil {
				t.Fatal(err)
			}
			var d api.Deployment
			if err := json.Unmarshal(out, &d); err != nil {
				t.Fatalf("decode result: %v\n%s", err, out)
			}
			tt.check(t, d)
		})
	}
}
