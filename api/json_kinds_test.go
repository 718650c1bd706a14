package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
	"github.com/minik8s/minik8s/internal/testfill"
)

// TestUnmarshalTrustedEveryKind decodes an object of every built-in kind,
// with every field of its Go type set, with UnmarshalTrusted and with
// Unmarshal: the two must give the same value for JSON the server writes.
// The objects also carry what Fill cannot set (times, quantities,
// int-or-strings, escaped strings), as a stored pod does.
func TestUnmarshalTrustedEveryKind(t *testing.T) {
	n := 0
	for _, r := range registry.All() {
		if r.Schema.Go == nil {
			continue
		}
		n++
		t.Run(r.Kind, func(t *testing.T) {
			v := reflect.New(r.Schema.Go)
			testfill.Fill(v.Elem())
			b, err := json.Marshal(v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			sameDecoding(t, r.Schema.Go, b)
		})
	}
	if n < 40 {
		t.Fatalf("%d built-in kinds; the registry lost some", n)
	}
	t.Run("stored pod", func(t *testing.T) {
		sameDecoding(t, reflect.TypeFor[api.Pod](), []byte(storedPod))
	})
	t.Run("pod of a Deployment", func(t *testing.T) {
		sameDecoding(t, reflect.TypeFor[api.Pod](), deploymentPod(t))
	})
}

// deploymentPod is a Running pod of a Deployment on a simulated node as
// `minik8s all` stores it, with its managedFields.
func deploymentPod(tb testing.TB) []byte {
	b, err := os.ReadFile("testdata/pod.json")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// storedPod is a pod as the server stores it.
const storedPod = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default","uid":"u1","creationTimestamp":"2026-12-05T07:36:12Z",` +
	`"deletionTimestamp":null,"labels":{"app.kubernetes.io/name":"web \u00e9\"q\\"},` +
	`"managedFields":[{"apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{}}}}},"manager":"kubelet","operation":"Update","time":"2026-12-05T07:36:13Z"}]},` +
	`"spec":{"nodeName":"n1","containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80}],` +
	`"resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"cpu":2}},` +
	`"livenessProbe":{"httpGet":{"port":"http","path":"/"}},"readinessProbe":{"tcpSocket":{"port":8080}}}],"activeDeadlineSeconds":9007199254740993},` +
	`"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-12-05T07:36:13.123456Z"}],` +
	`"containerStatuses":[{"name":"c","ready":true,"restartCount":0,"state":{"running":{"startedAt":"2026-12-05T07:36:13Z"}}}]}}`

// BenchmarkUnmarshalPod compares the decoders on a pod of a Deployment.
func BenchmarkUnmarshalPod(b *testing.B) {
	pod := deploymentPod(b)
	for _, d := range []struct {
		name string
		f    func([]byte, any) error
	}{{"Unmarshal", api.Unmarshal}, {"UnmarshalTrusted", api.UnmarshalTrusted}, {"UnmarshalTrusted+Compact", unmarshalCompact}} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var p api.Pod
				if err := d.f(pod, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func sameDecoding(t *testing.T, typ reflect.Type, b []byte) {
	t.Helper()
	strict, trusted, kept := reflect.New(typ), reflect.New(typ), reflect.New(typ)
	if err := api.Unmarshal(b, strict.Interface()); err != nil {
		t.Fatalf("Unmarshal: %v\n%s", err, b)
	}
	if err := api.UnmarshalTrusted(b, trusted.Interface()); err != nil {
		t.Fatalf("UnmarshalTrusted: %v\n%s", err, b)
	}
	if err := unmarshalCompact(b, kept.Interface()); err != nil {
		t.Fatalf("UnmarshalTrusted: %v\n%s", err, b)
	}
	for name, v := range map[string]reflect.Value{"UnmarshalTrusted": trusted, "UnmarshalTrusted+Compact": kept} {
		if !reflect.DeepEqual(strict.Interface(), v.Interface()) {
			s, _ := json.Marshal(strict.Interface())
			u, _ := json.Marshal(v.Interface())
			t.Errorf("decodings differ\nUnmarshal: %s\n%s: %s", s, name, u)
		}
	}
	if path, ok := spareCapacity(kept, typ.String()); ok {
		t.Errorf("Compact left spare capacity in %s", path)
	}
}

// TestCompactInterns: two pods decoded and compacted share the
// memory of their equal strings — in fields, in slices, in map keys and
// values — so that an informer of a thousand pods keeps one copy of each.
func TestCompactInterns(t *testing.T) {
	var a, b api.Pod
	for _, p := range []*api.Pod{&a, &b} {
		if err := unmarshalCompact(deploymentPod(t), p); err != nil {
			t.Fatal(err)
		}
		runtime.GC() // sharing outlives a collection: a cache is compacted over time
	}
	same := func(what, x, y string) {
		t.Helper()
		if x != y || x == "" {
			t.Fatalf("%s: %q and %q, want equal and set", what, x, y)
		}
		if unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: %q kept twice", what, x)
		}
	}
	same("image", a.Spec.Containers[0].Image, b.Spec.Containers[0].Image)
	same("owner name", a.OwnerReferences[0].Name, b.OwnerReferences[0].Name)
	same("toleration key", a.Spec.Tolerations[0].Key, b.Spec.Tolerations[0].Key)
	same("phase", string(a.Status.Phase), string(b.Status.Phase))
	for k, v := range a.Labels {
		for k2, v2 := range b.Labels {
			if k == k2 {
				same("label key", k, k2)
				same("label value", v, v2)
			}
		}
	}
}

// replicaPods returns n pods of one Deployment as the API server sends
// them: deploymentPod with each pod's own name, UID, service account
// volume, node, IP, container and start times.
func replicaPods(tb testing.TB, n int) [][]byte {
	tpl := string(deploymentPod(tb))
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(strings.NewReplacer(
			"lcgj6", fmt.Sprintf("%05d", i),
			"c9ce122f-52e3-42e4-92f8-408cc924cf7c", fmt.Sprintf("c9ce122f-52e3-42e4-92f8-%012d", i),
			"gw928", fmt.Sprintf("v%04d", i%10000),
			`"vm-1"`, fmt.Sprintf(`"vm-%d"`, i%100),
			"10.244.0.2", fmt.Sprintf("10.244.%d.%d", i/250%250, i%250),
			"07:37:1", fmt.Sprintf("07:%02d:%d", i/60%60, i%6), // times: a few pods a second
		).Replace(tpl))
	}
	return out
}

// TestCompactShares: pods of one Deployment decoded and compacted apart
// share their equal parts — tolerations, owner references, labels, the
// service account volume's source, equal pointers to numbers — but not
// the parts that differ, and each still decodes to what Unmarshal gives
// (TestUnmarshalTrustedEveryKind checks the latter for every kind).
func TestCompactShares(t *testing.T) {
	raw := replicaPods(t, 2)
	var a, b, plain api.Pod
	for i, p := range []*api.Pod{&a, &b} {
		if err := unmarshalCompact(raw[i], p); err != nil {
			t.Fatal(err)
		}
	}
	if err := api.Unmarshal(raw[1], &plain); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&b, &plain) {
		t.Fatalf("a compacted pod differs from its decoding:\n%+v\n%+v", b, plain)
	}
	same := func(what string, x, y any, want bool) {
		t.Helper()
		if got := reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer(); got != want {
			t.Errorf("%s: shared %v, want %v", what, got, want)
		}
	}
	same("tolerations", a.Spec.Tolerations, b.Spec.Tolerations, true)
	same("owner references", a.OwnerReferences, b.OwnerReferences, true)
	same("labels", a.Labels, b.Labels, true)
	same("projected volume source", a.Spec.Volumes[0].Projected, b.Spec.Volumes[0].Projected, true)
	same("toleration seconds", a.Spec.Tolerations[0].TolerationSeconds, a.Spec.Tolerations[1].TolerationSeconds, true)
	same("volumes (names differ)", a.Spec.Volumes, b.Spec.Volumes, false)
	same("containers (mounts differ)", a.Spec.Containers, b.Spec.Containers, false)
	same("pod IPs", a.Status.PodIPs, b.Status.PodIPs, false)
}

// TestCompactEmptyParts: empty slices and maps, which share leaves as
// they are, come through Compact unchanged.
func TestCompactEmptyParts(t *testing.T) {
	raw := []byte(`{"metadata":{"name":"p","finalizers":[],"labels":{},"ownerReferences":[]},"spec":{"containers":[{"name":"c","image":"x","args":[]}]}}`)
	var kept, plain api.Pod
	if err := unmarshalCompact(raw, &kept); err != nil {
		t.Fatal(err)
	}
	if err := api.Unmarshal(raw, &plain); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&kept, &plain) {
		t.Fatalf("compacted %+v, want %+v", kept, plain)
	}
}

// BenchmarkKeptPod reports the memory a pod of a Deployment costs in an
// informer's cache (decoded, without managedFields, compacted), over
// 10,000 pods that differ as replicas do.
func BenchmarkKeptPod(b *testing.B) {
	raw := replicaPods(b, 10000)
	for b.Loop() {
		kept := make([]*api.Pod, len(raw))
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i, r := range raw {
			p := &api.Pod{}
			if err := api.UnmarshalTrusted(r, p); err != nil {
				b.Fatal(err)
			}
			p.ManagedFields = nil // as an informer keeps it
			api.Compact(p)
			kept[i] = p
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(len(kept)), "B/pod")
		runtime.KeepAlive(kept)
	}
}

// unmarshalCompact decodes as a watched object an informer keeps is.
func unmarshalCompact(b []byte, v any) error {
	if err := api.UnmarshalTrusted(b, v); err != nil {
		return err
	}
	api.Compact(v)
	return nil
}

// spareCapacity finds a slice in v with capacity beyond its length.
func spareCapacity(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			return spareCapacity(v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if p, ok := spareCapacity(v.Field(i), path+"."+v.Type().Field(i).Name); ok {
					return p, true
				}
			}
		}
	case reflect.Slice:
		if v.Cap() > v.Len() {
			return path, true
		}
		for i := range v.Len() {
			if p, ok := spareCapacity(v.Index(i), path+"[]"); ok {
				return p, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if p, ok := spareCapacity(it.Value(), path+"{}"); ok {
				return p, true
			}
		}
	}
	return "", false
}
