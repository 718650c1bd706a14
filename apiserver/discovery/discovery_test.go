package discovery

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"
)

// get fetches path from ts with an Accept header and decodes the JSON body.
func get(t *testing.T, ts *testServer, path, accept string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if resp.StatusCode == http.StatusOK || resp.Header.Get("Content-Type") == mimeJSON {
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return resp, doc
}

// at walks a decoded JSON document: map keys, or "name=x" to pick the
// element of an array whose "name" is x.
func at(t *testing.T, doc any, path ...string) any {
	t.Helper()
	v := doc
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			k, want, _ := strings.Cut(p, "=")
			v = nil
			for _, e := range x {
				if m, _ := e.(map[string]any); m != nil && m[k] == want {
					v = m
				}
			}
		default:
			v = nil
		}
		if v == nil {
			t.Fatalf("no %s in %v", strings.Join(path, "/"), doc)
		}
	}
	return v
}

func TestDiscoveryDocuments(t *testing.T) {
	ts := newTestServer(t)
	const aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
	for _, tc := range []struct {
		path, accept string
		ctype        string
		check        func(t *testing.T, doc map[string]any)
	}{
		{"/api", "", mimeJSON, func(t *testing.T, doc map[string]any) {
			if v := at(t, doc, "versions"); !slices.Equal(toStrings(v), []string{"v1"}) {
				t.Errorf("versions %v", v)
			}
		}},
		{"/api/v1", "", mimeJSON, func(t *testing.T, doc map[string]any) {
			var names []string
			for _, r := range at(t, doc, "resources").([]any) {
				names = append(names, r.(map[string]any)["name"].(string))
			}
			want := []string{"componentstatuses", "configmaps", "endpoints", "events", "limitranges", "namespaces", "namespaces/status", "nodes", "nodes/status",
				"persistentvolumeclaims", "persistentvolumeclaims/status", "persistentvolumes", "persistentvolumes/status",
				"pods", "pods/binding", "pods/eviction", "pods/log", "pods/status", "resourcequotas", "resourcequotas/status", "secrets", "serviceaccounts", "serviceaccounts/token",
				"services", "services/status"}
			if !slices.Equal(names, want) {
				t.Errorf("resources %v, want %v", names, want)
			}
			for sub, verbs := range map[string][]string{
				"pods/status": {"get", "patch", "update"}, "pods/binding": {"create"}, "pods/log": {"get"},
				"serviceaccounts/token": {"create"},
				"namespaces":            {"create", "delete", "get", "list", "patch", "update", "watch"},
			} {
				if got := toStrings(at(t, doc, "resources", "name="+sub, "verbs")); !slices.Equal(got, verbs) {
					t.Errorf("%s verbs %v, want %v", sub, got, verbs)
				}
			}
			if k := at(t, doc, "resources", "name=pods/binding", "kind"); k != "Binding" {
				t.Errorf("pods/binding kind %v", k)
			}
			if sn := at(t, doc, "resources", "name=pods", "shortNames"); !slices.Equal(toStrings(sn), []string{"po"}) {
				t.Errorf("pods shortNames %v", sn)
			}
		}},
		{"/apis", "", mimeJSON, func(t *testing.T, doc map[string]any) {
			if gv := at(t, doc, "groups", "name=coordination.k8s.io", "preferredVersion", "groupVersion"); gv != "coordination.k8s.io/v1" {
				t.Errorf("preferred version %v", gv)
			}
		}},
		{"/apis/apps", "", mimeJSON, func(t *testing.T, doc map[string]any) {
			if k := doc["kind"]; k != "APIGroup" {
				t.Errorf("kind %v", k)
			}
		}},
		{"/apis/apps/v1/", "", mimeJSON, func(t *testing.T, doc map[string]any) {
			scale := at(t, doc, "resources", "name=deployments/scale").(map[string]any)
			if scale["group"] != "autoscaling" || scale["version"] != "v1" || scale["kind"] != "Scale" {
				t.Errorf("deployments/scale %v", scale)
			}
			if c := at(t, doc, "resources", "name=replicasets", "categories"); !slices.Equal(toStrings(c), []string{"all"}) {
				t.Errorf("replicasets categories %v", c)
			}
		}},
		{"/api", aggregated, mimeAggregated, func(t *testing.T, doc map[string]any) {
			pods := at(t, doc, "items").([]any)[0].(map[string]any)["versions"].([]any)[0].(map[string]any)["resources"]
			if s := at(t, pods, "resource=pods", "scope"); s != "Namespaced" {
				t.Errorf("pods scope %v", s)
			}
			if v := at(t, pods, "resource=pods", "subresources", "subresource=binding", "verbs"); !slices.Equal(toStrings(v), []string{"create"}) {
				t.Errorf("binding verbs %v", v)
			}
		}},
		{"/apis", aggregated, mimeAggregated, func(t *testing.T, doc map[string]any) {
			items := at(t, doc, "items").([]any)
			if len(items) != 15 || at(t, items[0], "metadata", "name") != "apiextensions.k8s.io" || at(t, items[1], "metadata", "name") != "apps" || at(t, items[14], "metadata", "name") != "storage.k8s.io" {
				t.Fatalf("items %v", items)
			}
			res := at(t, items[1], "versions").([]any)[0].(map[string]any)["resources"]
			kind := at(t, res, "resource=deployments", "subresources", "subresource=scale", "responseKind")
			if kind.(map[string]any)["group"] != "autoscaling" {
				t.Errorf("deployments/scale responseKind %v", kind)
			}
		}},
		{"/apis", "application/json,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", mimeJSON, nil},
		{"/apis", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", mimeJSON, nil},
		{"/version", "", mimeJSON, func(t *testing.T, doc map[string]any) {
			if doc["gitVersion"] != GitVersion || doc["major"] != "1" || doc["minor"] != "32" {
				t.Errorf("version %v", doc)
			}
		}},
	} {
		t.Run(tc.path+" "+tc.accept, func(t *testing.T) {
			resp, doc := get(t, ts, tc.path, tc.accept)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("status %d, content type %q; want 200, %q", resp.StatusCode, resp.Header.Get("Content-Type"), tc.ctype)
			}
			if tc.check != nil {
				tc.check(t, doc)
			}
		})
	}
	if resp, _ := get(t, ts, "/apis/nope", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/apis/nope: %d, want 404", resp.StatusCode)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}

func TestWantsAggregated(t *testing.T) {
	for _, tc := range []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"application/json", false},
		{"*/*", false},
		{"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true},
		{"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json", true},
		{"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", false},
		{"application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", false},
		{"application/yaml, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", true},
	} {
		if got := wantsAggregated(tc.accept); got != tc.want {
			t.Errorf("wantsAggregated(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}

// TestOpenAPIV2Protobuf: a client that names protobuf first (kubectl names
// only protobuf) gets the same document in gnostic's protobuf form, with
// the Content-Type kube-apiserver gives it; one that accepts neither form
// gets 406.
func TestOpenAPIV2Protobuf(t *testing.T) {
	ts := newTestServer(t)
	for _, accept := range []string{mimeProtobufV2, mimeProtobufV2Answer + ", application/json"} {
		resp, err := ts.Client().Do(mustRequest(t, ts.URL+"/openapi/v2", accept))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != mimeProtobufV2Answer {
			t.Fatalf("Accept %s: %d %s", accept, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		var doc openapi_v2.Document
		if err := proto.Unmarshal(b, &doc); err != nil {
			t.Fatalf("Accept %s: %v", accept, err)
		}
		found := false
		for _, d := range doc.GetDefinitions().GetAdditionalProperties() {
			if d.Name == defCore+"Pod" {
				found = true
			}
		}
		if doc.Swagger != "2.0" || !found {
			t.Errorf("Accept %s: swagger %q, Pod defined: %v", accept, doc.Swagger, found)
		}
	}
	if resp, _ := get(t, ts, "/openapi/v2", "application/yaml"); resp.StatusCode != http.StatusNotAcceptable {
		t.Errorf("yaml: %d, want 406", resp.StatusCode)
	}
}

func mustRequest(t *testing.T, url, accept string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	return req
}

func TestOpenAPIV2(t *testing.T) {
	ts := newTestServer(t)
	resp, doc := get(t, ts, "/openapi/v2", "application/json,"+mimeProtobufV2)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	defs := at(t, doc, "definitions")
	containers := at(t, defs, defCore+"PodSpec", "properties", "containers").(map[string]any)
	if containers["x-kubernetes-patch-merge-key"] != "name" || containers["x-kubernetes-patch-strategy"] != "merge" ||
		at(t, containers, "items", "$ref") != "#/definitions/"+defCore+"Container" {
		t.Errorf("PodSpec.containers: %v", containers)
	}
	if s := at(t, defs, defIntOrString); s.(map[string]any)["format"] != "int-or-string" {
		t.Errorf("IntOrString: %v", s)
	}
	patch := at(t, doc, "paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch").(map[string]any)
	if !slices.Contains(toStrings(patch["consumes"]), "application/strategic-merge-patch+json") {
		t.Errorf("deployment PATCH consumes %v", patch["consumes"])
	}
	checkSchemas(t, defs.(map[string]any))
	checkCoreSchemas(t, defs.(map[string]any))
}

func TestOpenAPIV3(t *testing.T) {
	ts := newTestServer(t)
	_, index := get(t, ts, "/openapi/v3", "")
	for _, tc := range []struct {
		gv    string
		kinds []gvk
	}{
		{"api/v1", []gvk{{"", "v1", "Pod"}, {"", "v1", "Node"}, {"", "v1", "Namespace"}, {"", "v1", "Event"}, {"", "v1", "Binding"}}},
		{"apis/apps/v1", []gvk{{"apps", "v1", "Deployment"}, {"apps", "v1", "ReplicaSet"}, {"autoscaling", "v1", "Scale"}}},
		{"apis/coordination.k8s.io/v1", []gvk{{"coordination.k8s.io", "v1", "Lease"}}},
	} {
		t.Run(tc.gv, func(t *testing.T) {
			url := at(t, index, "paths", tc.gv, "serverRelativeURL").(string)
			resp, doc := get(t, ts, url, "application/json")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "public, immutable" {
				t.Fatalf("GET %s: %d, Cache-Control %q", url, resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
			if resp, _ := get(t, ts, "/openapi/v3/"+tc.gv+"?hash=OLD", ""); resp.StatusCode != http.StatusMovedPermanently ||
				resp.Header.Get("Location") != url {
				t.Errorf("old hash: %d to %q, want 301 to %q", resp.StatusCode, resp.Header.Get("Location"), url)
			}
			for _, k := range tc.kinds {
				if k.Kind != "Binding" && !patchValidatesFields(doc, k) {
					t.Errorf("no PATCH of %v declares fieldValidation and strategic merge patch", k)
				}
				found := false
				for _, s := range at(t, doc, "components", "schemas").(map[string]any) {
					gvks, _ := s.(map[string]any)["x-kubernetes-group-version-kind"].([]any)
					for _, g := range gvks {
						g := g.(map[string]any)
						found = found || (g["group"] == k.Group && g["version"] == k.Version && g["kind"] == k.Kind)
					}
				}
				if !found {
					t.Errorf("no schema has x-kubernetes-group-version-kind %v", k)
				}
			}
			checkSchemas(t, at(t, doc, "components", "schemas").(map[string]any))
		})
	}
	_, core := get(t, ts, "/openapi/v3/api/v1", "")
	checkCoreSchemas(t, at(t, core, "components", "schemas").(map[string]any))
	_, apps := get(t, ts, "/openapi/v3/apis/apps/v1", "")
	schemas := at(t, apps, "components", "schemas")
	strategy := at(t, schemas, defApps+"DeploymentSpec", "properties", "strategy").(map[string]any)
	if strategy["x-kubernetes-patch-strategy"] != "retainKeys" ||
		at(t, strategy, "allOf").([]any)[0].(map[string]any)["$ref"] != "#/components/schemas/"+defApps+"DeploymentStrategy" {
		t.Errorf("DeploymentSpec.strategy: %v", strategy)
	}
	if s := at(t, schemas, defIntOrString).(map[string]any); s["x-kubernetes-int-or-string"] != true {
		t.Errorf("IntOrString: %v", s)
	}
	if s := at(t, schemas, defQuantity).(map[string]any); s["oneOf"] == nil {
		t.Errorf("Quantity: %v", s)
	}
	if resp, _ := get(t, ts, "/openapi/v3/apis/nope/v1", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown group version: %d, want 404", resp.StatusCode)
	}
}

// patchValidatesFields reports whether a PATCH operation for k declares
// the fieldValidation query parameter and accepts strategic merge patches,
// the checks kubectl makes.
func patchValidatesFields(doc map[string]any, k gvk) bool {
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range paths {
		op, _ := p.(map[string]any)["patch"].(map[string]any)
		g, _ := op["x-kubernetes-group-version-kind"].(map[string]any)
		if op == nil || g["group"] != k.Group || g["version"] != k.Version || g["kind"] != k.Kind {
			continue
		}
		content, _ := op["requestBody"].(map[string]any)["content"].(map[string]any)
		if content["application/strategic-merge-patch+json"] == nil {
			return false
		}
		for _, param := range op["parameters"].([]any) {
			param := param.(map[string]any)
			if param["name"] == "fieldValidation" && param["in"] == "query" {
				return true
			}
		}
		return false
	}
	return false
}

// checkSchemas checks every definition: each property has a description,
// no object forbids unknown fields, and every reference resolves.
func checkSchemas(t *testing.T, defs map[string]any) {
	t.Helper()
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ap, ok := x["additionalProperties"].(bool); ok && !ap {
				t.Errorf("%s: additionalProperties: false", where)
			}
			if ref, ok := x["$ref"].(string); ok {
				name := ref[strings.LastIndex(ref, "/")+1:]
				if defs[name] == nil {
					t.Errorf("%s: dangling reference %s", where, ref)
				}
			}
			props, _ := x["properties"].(map[string]any)
			for name, p := range props {
				if d, _ := p.(map[string]any)["description"].(string); d == "" {
					t.Errorf("%s.%s has no description", where, name)
				}
				walk(where+"."+name, p) // a property may be named "properties"
			}
			for k, e := range x {
				if k != "properties" || props == nil {
					walk(where+"/"+k, e)
				}
			}
		case []any:
			for _, e := range x {
				walk(where, e)
			}
		}
	}
	walk("", defs)
}

// checkCoreSchemas checks what is required and how times are typed.
func checkCoreSchemas(t *testing.T, defs map[string]any) {
	t.Helper()
	if req := at(t, defs, defCore+"Container", "required"); !slices.Equal(toStrings(req), []string{"name"}) {
		t.Errorf("Container required %v, want [name]", req)
	}
	if req := at(t, defs, defCore+"PodSpec", "required"); !slices.Equal(toStrings(req), []string{"containers"}) {
		t.Errorf("PodSpec required %v, want [containers]", req)
	}
	for _, name := range []string{defMeta + "ObjectMeta", defMeta + "Status", defCore + "Pod"} {
		if req, ok := defs[name].(map[string]any)["required"]; ok {
			t.Errorf("%s requires %v", name, req)
		}
	}
	if f := at(t, defs, defMeta+"Time", "format"); f != "date-time" {
		t.Errorf("Time format %v", f)
	}
}
