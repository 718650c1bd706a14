package apiserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// FuzzCustomResources sends arbitrary CRD schemas and custom resources
// through the real API server. Each input creates (and, if created,
// deletes) a CRD whose openAPIV3Schema is schema, then writes body as a
// CronTab of testdata/crontab-crd.yaml at v1 or v1beta1 (which % 2),
// patches it (JSON merge, JSON patch or strategic merge: (which / 2) % 3),
// reads it at the other version, lists with a field selector and deletes
// it. Whatever the input, every answer is a Status or an object, never a
// 500.
func FuzzCustomResources(f *testing.F) {
	seeds := []struct {
		which               uint8
		schema, body, patch string
	}{
		{0, `{"type":"object","properties":{"spec":{"type":"object","properties":{"n":{"type":"integer","default":3,"minimum":1}}}}}`,
			`{"metadata":{"name":"a","labels":{"x":"y"}},"spec":{"cronSpec":"* * * * *","replicas":2,"color":"red"}}`,
			`{"spec":{"replicas":"x","image":null}}`},
		{1, `{"type":"object","x-kubernetes-preserve-unknown-fields":true}`,
			`{"metadata":{"generateName":"g-"},"spec":{"anything":[1,{"b":null}]},"status":{"replicas":-1}}`,
			`{"metadata":{"finalizers":["a/b"]},"status":{"replicas":2}}`},
		{2, `{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"}}}}}}`,
			`{"metadata":{"name":"b"},"spec":{"cronSpec":5}}`, `[{"op":"add","path":"/spec/color","value":"blue"}]`},
		{4, `{"type":"object","properties":{"e":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"x-kubernetes-int-or-string":true}}}}}`,
			`{"metadata":{"name":"c"},"spec":{"cronSpec":"x"}}`, `{"spec":{"color":"green"}}`},
		{0, `{"type":"string"}`, `[]`, `null`},
		{1, `{"properties":{"a":{"type":"object","additionalProperties":{"type":"string"},"properties":{}}}}`, `{"metadata":{"name":7}}`, `{}`},
		{3, `{"type":"object","properties":{"metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":3}}}}}`,
			`{"metadata":{"name":"dd","namespace":"other"},"spec":{"replicas":1e400}}`, `[{"op":"remove","path":"/metadata"}]`},
	}
	for _, s := range seeds {
		f.Add(s.which, s.schema, s.body, s.patch)
	}
	s := testenv.StartAPIServer(f, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.Limits.QPS = 0 // as fast as the fuzzer goes
	}})
	s.HTTP.Timeout = 10 * time.Second // a request that hangs is a failure too
	b, err := os.ReadFile("testdata/crontab-crd.yaml")
	if err != nil {
		f.Fatal(err)
	}
	crd, err := yaml.YAMLToJSON(b)
	if err != nil {
		f.Fatal(err)
	}
	const crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	if r := s.Do(f, http.MethodPost, crds, crd); r.Code != http.StatusCreated {
		f.Fatalf("create CRD: %d %s", r.Code, r.Body)
	}
	collections := []string{"/apis/stable.example.com/v1/namespaces/default/crontabs", "/apis/stable.example.com/v1beta1/namespaces/default/crontabs"}
	deadline := time.Now().Add(10 * time.Second)
	for s.Do(f, http.MethodGet, collections[0], nil).Code != http.StatusOK {
		if time.Now().After(deadline) {
			f.Fatal("CRD not served after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	patchTypes := []string{"application/merge-patch+json", "application/json-patch+json", "application/strategic-merge-patch+json"}
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, which uint8, schema, body, patch string) {
		check := func(what string, r *testenv.Response) {
			t.Helper()
			if r.Code >= 500 {
				t.Fatalf("%s: %d %.1000s\nschema: %.1000s\nbody: %.1000s\npatch: %.1000s", what, r.Code, r.Body, schema, body, patch)
			}
		}
		plural := fmt.Sprintf("fuzz%ds", n.Add(1))
		c := fmt.Sprintf(`{"metadata":{"name":"%s.fuzz.example.com"},"spec":{"group":"fuzz.example.com","scope":"Cluster",`+
			`"names":{"plural":"%s","kind":"Fuzz"},"versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},`+
			`"schema":{"openAPIV3Schema":%s}}]}}`, plural, plural, schema)
		r := s.Do(t, http.MethodPost, crds, c)
		check("create CRD", r)
		if r.Code == http.StatusCreated {
			check("delete CRD", s.Do(t, http.MethodDelete, crds+"/"+plural+".fuzz.example.com", nil))
		}

		coll := collections[int(which)%2]
		other := collections[(int(which)+1)%2]
		r = s.Do(t, http.MethodPost, coll, body)
		check("create", r)
		if r.Code != http.StatusCreated {
			return
		}
		var created struct {
			Metadata struct{ Name string } `json:"metadata"`
		}
		if err := json.Unmarshal(r.Body, &created); err != nil || created.Metadata.Name == "" {
			t.Fatalf("created: %s (%v)", r.Body, err)
		}
		name := url.PathEscape(created.Metadata.Name)
		check("patch", s.Do(t, http.MethodPatch, coll+"/"+name, patch, "Content-Type", patchTypes[int(which)/2%3]))
		check("patch status", s.Do(t, http.MethodPatch, coll+"/"+name+"/status", patch, "Content-Type", patchTypes[int(which)/2%3]))
		check("get", s.Do(t, http.MethodGet, other+"/"+name, nil))
		check("list", s.Do(t, http.MethodGet, other+"?fieldSelector=spec.color%3Dred", nil))
		check("table", s.Do(t, http.MethodGet, coll, nil, "Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"))
		check("delete", s.Do(t, http.MethodDelete, coll+"/"+name, nil))
	})
}
