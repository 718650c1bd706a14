package registry

import (
	"os"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/minik8s/minik8s/api"
)

// FuzzCRD decodes arbitrary CRDs and runs what the API server runs on
// them: defaulting, validation, and, for those that pass, building the
// declarations of their kinds and using them (a table of an object, the
// strategy's defaulting and validation of it). Nothing may panic, and a
// CRD that validates must build.
func FuzzCRD(f *testing.F) {
	b, err := os.ReadFile("../testdata/crontab-crd.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seed, err := yaml.YAMLToJSON(b)
	if err != nil {
		f.Fatal(err)
	}
	obj := `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a","namespace":"default"},"spec":{"cronSpec":"x","replicas":"2"},"status":{"replicas":1}}`
	f.Add(string(seed), obj)
	f.Add(`{"metadata":{"name":"a.b.c"},"spec":{"group":"b.c","scope":"Cluster","names":{"plural":"a","kind":"A"},"versions":[{"name":"v1","served":true,"storage":true,`+
		`"schema":{"openAPIV3Schema":{"type":"object","properties":{"x":{"x-kubernetes-int-or-string":true},"e":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true},`+
		`"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string","default":"d"}}}}}}},`+
		`"additionalPrinterColumns":[{"name":"X","type":"integer","jsonPath":".l[?(@.k==\"d\")].k"}],"selectableFields":[{"jsonPath":".x"}]}]}}`,
		`{"apiVersion":"b.c/v1","kind":"A","metadata":{"name":"a"},"x":"1","e":{"apiVersion":"v1","kind":"Pod","metadata":{"name":5}},"l":[{"k":"d"},{}]}`)
	f.Add(`{"spec":{"versions":[{"schema":{"openAPIV3Schema":{"items":[]}}}]}}`, `null`)
	f.Fuzz(func(t *testing.T, crdJSON, objJSON string) {
		crdObj, err := (Schema{}).DecodeAs([]byte(crdJSON))
		if err != nil {
			return
		}
		o := crdObj.(Object)
		customResourceDefinitions.PrepareForCreate(o)
		crd, err := As[api.CustomResourceDefinition](o)
		if err != nil {
			return
		}
		if errs := customResourceDefinitions.Validate(crd, nil); len(errs) > 0 {
			_ = errs.ToAggregate().Error()
			return
		}
		rs, err := CustomResources(crd, func() bool { return false })
		if err != nil {
			t.Fatalf("a valid CRD does not build: %v\n%s", err, crdJSON)
		}
		v, err := (Schema{}).DecodeAs([]byte(objJSON))
		if err != nil {
			return
		}
		for _, r := range rs {
			cr := DeepCopy(v).(Object)
			r.PrepareForCreate(cr)
			_ = r.Validate(cr, nil)
			_ = r.Table([]map[string]any{cr}, IncludeObject, "1", time.Now())
			_ = r.GenerationChanged(cr, v.(Object))
		}
	})
}
