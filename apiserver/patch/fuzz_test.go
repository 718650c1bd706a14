package patch

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/minik8s/minik8s/api"
)

// FuzzApply: no patch of any type, however malformed, makes Apply panic,
// and what it returns for a valid patch is a JSON object.
func FuzzApply(f *testing.F) {
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}},` +
		`"spec":{"containers":[{"name":"a","image":"nginx","ports":[{"containerPort":80}]},{"name":"b","image":"busybox"}],` +
		`"tolerations":[{"key":"k","operator":"Exists"}]}}`
	types := []string{JSONPatchType, MergePatchType, StrategicMergePatchType}
	for _, seed := range []struct{ typ, patch string }{
		{MergePatchType, `{"metadata":{"labels":{"app":null,"tier":"db"}}}`},
		{MergePatchType, `{"spec":{"containers":null}}`},
		{JSONPatchType, `[{"op":"replace","path":"/spec/containers/0/image","value":"x"}]`},
		{JSONPatchType, `[{"op":"move","from":"/spec/containers/0","path":"/spec/containers/-"}]`},
		{JSONPatchType, `[{"op":"test","path":"/metadata/name","value":"web"},{"op":"remove","path":"/metadata/labels"}]`},
		{JSONPatchType, `[{"op":"test","path":""}]`}, // json-patch panics on it
		{StrategicMergePatchType, `{"spec":{"containers":[{"name":"a","image":"nginx:2"}]}}`},
		{StrategicMergePatchType, `{"spec":{"containers":[{"name":"b","$patch":"delete"}]}}`},
		{StrategicMergePatchType, `{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}`},
		{StrategicMergePatchType, `{"spec":{"containers":[{"name":"a","ports":[{"containerPort":81}]}],"$retainKeys":["containers"]}}`},
		{StrategicMergePatchType, `{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]},"spec":{"tolerations":{"$patch":"replace"}}}`},
	} {
		f.Add(uint8(slices.Index(types, seed.typ)), pod, seed.patch)
	}
	schema := reflect.TypeOf(api.Pod{})
	f.Fuzz(func(t *testing.T, which uint8, original, patch string) {
		typ := types[int(which)%len(types)]
		out, err := Apply(typ, []byte(original), []byte(patch), schema)
		if err != nil {
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(out, &obj); err != nil || obj == nil {
			t.Fatalf("Apply(%s, %s, %s) = %s: not a JSON object (%v)", typ, original, patch, out, err)
		}
	})
}
