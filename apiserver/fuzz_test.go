package apiserver_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/minik8s/minik8s/app"
	"github.com/minik8s/minik8s/internal/testenv"
)

// FuzzWrites sends arbitrary bodies through the real API server: a create,
// then, if it was created, a patch and a delete. which selects the
// collection (which % 7) and the patch type ((which / 7) % 3: strategic
// merge, JSON merge, JSON patch). Whatever the input, the server answers
// with a Status or the object, never with a 500 (a panic in defaulting,
// validation or patching shows as one), and no object it stores is larger
// than maxObjectBytes (a patch bomb shows as one).
func FuzzWrites(f *testing.F) {
	collections := []string{
		"/api/v1/namespaces/default/pods",
		"/apis/apps/v1/namespaces/default/deployments",
		"/apis/apps/v1/namespaces/default/replicasets",
		"/api/v1/nodes",
		"/api/v1/namespaces",
		"/api/v1/namespaces/default/events",
		"/apis/coordination.k8s.io/v1/namespaces/default/leases",
	}
	seeds := []struct {
		which       int
		body, patch string
	}{
		{0, podJSON, `{"spec":{"containers":[{"name":"c","image":"nginx:2"}]}}`},
		{0, `{"metadata":{"generateName":"w-"},"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":80}],` +
			`"env":[{"name":"A","valueFrom":{"configMapKeyRef":{"name":"m","key":"k"}}}]}],"tolerations":[{"operator":"Exists"}],` +
			`"affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"a","operator":"In","values":["b"]}]}]}}}}}`,
			`{"metadata":{"labels":{"a":"b"},"finalizers":["x"]}}`},
		{1, `{"metadata":{"name":"d"},"spec":{"replicas":2,"selector":{"matchLabels":{"a":"b"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}},` +
			`"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
			`{"spec":{"replicas":-1,"strategy":{"rollingUpdate":{"maxUnavailable":"x%"}}}}`},
		{2, `{"metadata":{"name":"r"},"spec":{"selector":{"matchExpressions":[{"key":"a","operator":"Exists"}]},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
			`{"spec":{"selector":null}}`},
		{3, `{"metadata":{"name":"n"},"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"4","memory":"8Gi"}}}`,
			`{"spec":{"unschedulable":true,"taints":[{"key":"k","$patch":"delete"}]}}`},
		{4, `{"metadata":{"name":"ns"}}`, `{"metadata":{"name":"other"}}`},
		{5, `{"metadata":{"name":"e"},"involvedObject":{"kind":"Pod","name":"p"},"reason":"R","count":1}`, `{"count":"x"}`},
		{6, `{"metadata":{"name":"l"},"spec":{"holderIdentity":"a","leaseDurationSeconds":15,"renewTime":"2026-01-01T00:00:00.000000Z"}}`,
			`{"spec":{"renewTime":"yesterday"}}`},
		{0, `{"metadata":{"name":"q"},"spec":{"containers":[{"name":"c","image":"x","resources":{"limits":{"cpu":"0e99999999"}}}]}}`, `[]`},
		{0, `[]`, `null`},
		{0 + 2*7, podJSON, patchBomb()},
		{1 + 1*7, `{"metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"y"}]}}}}`},
		{0, `{"metadata":{"name":7,"labels":[1]},"spec":"x"}`, `{}`},
		// Server-side apply (which/7 % 4 == 3): a deployment's replicas
		// and containers, a pod's ports without protocol, a YAML body,
		// managedFields that contradict the object, a changed kind.
		{1 + 3*7, `{"metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`,
			`{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"c","image":"y"},{"name":"c","image":"z"}]}}}}`},
		{0 + 3*7, podJSON, `{"spec":{"containers":[{"name":"c","image":"x","ports":[{"containerPort":80},{"containerPort":80,"protocol":"UDP"}]}]}}`},
		{0 + 3*7, podJSON, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [\n"},
		{4 + 3*7, `{"metadata":{"name":"mf","managedFields":[{"manager":"x","operation":"Apply","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:nope":{}}}}]}}`,
			`{"metadata":{"managedFields":[{"manager":"y"}]}}`},
		{4 + 3*7, `{"metadata":{"name":"mf2","managedFields":[{"manager":"x","operation":"Sideways","fieldsV1":"garbage"}]}}`, `{"kind":"Pod"}`},
		{6 + 3*7, `{"metadata":{"name":"l"},"spec":{"holderIdentity":"a"}}`, `{"apiVersion":"v2","spec":{"holderIdentity":7}}`},
	}
	for _, s := range seeds {
		f.Add(uint8(s.which), s.body, s.patch)
	}
	s := testenv.StartAPIServer(f, testenv.Options{Configure: func(c *app.Config) {
		c.APIServer.Limits.QPS = 0 // as fast as the fuzzer goes
	}})
	s.HTTP.Timeout = 10 * time.Second // a request that hangs is a failure too
	patchTypes := []string{"application/strategic-merge-patch+json", "application/merge-patch+json", "application/json-patch+json", "application/apply-patch+yaml"}
	f.Fuzz(func(t *testing.T, which uint8, body, patch string) {
		coll := collections[int(which)%len(collections)]
		patchType := patchTypes[int(which)/len(collections)%len(patchTypes)]
		check := func(what string, r *testenv.Response) {
			t.Helper()
			if r.Code >= 500 || r.Code < 300 && len(r.Body) > maxObjectBytes+100 {
				t.Fatalf("%s: %d %.1000s\ncreate body: %.1000s\npatch: %.1000s", what, r.Code, r.Body, body, patch)
			}
		}
		r := s.Do(t, http.MethodPost, coll, body)
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
		obj := coll + "/" + url.PathEscape(created.Metadata.Name)
		if patchType != "application/apply-patch+yaml" {
			check("patch", s.Do(t, http.MethodPatch, obj, patch, "Content-Type", patchType))
			check("delete", s.Do(t, http.MethodDelete, obj+"?gracePeriodSeconds=0", nil))
			return
		}
		// Server-side apply: the patch as sent, then as an applied
		// configuration of the object (its apiVersion, kind and name
		// added), forced, then again as another manager, and to an object
		// that does not exist yet.
		check("apply", s.Do(t, http.MethodPatch, obj+"?fieldManager=fuzz", patch, "Content-Type", patchType))
		var cfg map[string]any
		if json.Unmarshal([]byte(patch), &cfg) == nil && cfg != nil {
			var head map[string]any
			_ = json.Unmarshal(r.Body, &head)
			cfg["apiVersion"], cfg["kind"] = head["apiVersion"], head["kind"]
			meta, _ := cfg["metadata"].(map[string]any)
			if meta == nil {
				meta = map[string]any{}
				cfg["metadata"] = meta
			}
			meta["name"] = created.Metadata.Name
			b, _ := json.Marshal(cfg)
			check("apply config", s.Do(t, http.MethodPatch, obj+"?fieldManager=fuzz", string(b), "Content-Type", patchType))
			check("apply forced", s.Do(t, http.MethodPatch, obj+"?fieldManager=other&force=true", string(b), "Content-Type", patchType))
			check("apply dry run", s.Do(t, http.MethodPatch, obj+"?fieldManager=third&dryRun=All", string(b), "Content-Type", patchType))
			meta["name"] = "fuzz-applied"
			b, _ = json.Marshal(cfg)
			created := coll + "/fuzz-applied"
			check("apply create", s.Do(t, http.MethodPatch, created+"?fieldManager=fuzz", string(b), "Content-Type", patchType))
			check("delete applied", s.Do(t, http.MethodDelete, created+"?gracePeriodSeconds=0", nil))
		}
		check("delete", s.Do(t, http.MethodDelete, obj+"?gracePeriodSeconds=0", nil))
	})
}
