package apiserver_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// unknownKinds is a valid object of every served kind, as a function of
// its name, and whether the kind has a status subresource.
var unknownKinds = []struct {
	coll   string
	body   func(name string) string
	status bool
}{
	{"/api/v1/namespaces", func(n string) string { return `{"metadata":{"name":"` + n + `"}}` }, true},
	{"/api/v1/nodes", func(n string) string { return `{"metadata":{"name":"` + n + `"}}` }, true},
	{"/api/v1/namespaces/default/pods", func(n string) string {
		return `{"metadata":{"name":"` + n + `"},"spec":{"containers":[{"name":"c","image":"x"}]}}`
	}, true},
	{"/api/v1/namespaces/default/events", func(n string) string {
		return `{"metadata":{"name":"` + n + `"},"involvedObject":{"kind":"Pod","name":"p"},"reason":"R"}`
	}, false},
	{"/apis/apps/v1/namespaces/default/replicasets", func(n string) string {
		return `{"metadata":{"name":"` + n + `"},"spec":{"selector":{"matchLabels":{"a":"b"}},` +
			`"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`
	}, true},
	{"/apis/apps/v1/namespaces/default/deployments", func(n string) string {
		return `{"metadata":{"name":"` + n + `"},"spec":{"selector":{"matchLabels":{"a":"b"}},` +
			`"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}`
	}, true},
	{"/apis/coordination.k8s.io/v1/namespaces/default/leases", func(n string) string {
		return `{"metadata":{"name":"` + n + `"},"spec":{"holderIdentity":"a"}}`
	}, false},
}

// withBogus adds unknown fields to an object: at the top, in metadata, and
// in a list element when the object has containers.
func withBogus(body string) string {
	body = strings.Replace(body, `"metadata":{`, `"bogusTop":1,"metadata":{"bogusMeta":{"x":1},`, 1)
	return strings.Replace(body, `"containers":[{`, `"containers":[{"bogusC":true,`, 1)
}

// unknownPaths are the paths withBogus adds, as Kubernetes names them.
func unknownPaths(body string) []string {
	if strings.Contains(body, `"containers"`) {
		p := "spec.containers[0].bogusC"
		if strings.Contains(body, `"template"`) {
			p = "spec.template.spec.containers[0].bogusC"
		}
		return []string{"bogusTop", "metadata.bogusMeta", p}
	}
	return []string{"bogusTop", "metadata.bogusMeta"}
}

// TestUnknownFields checks fieldValidation on every kind and every write:
// Strict rejects unknown fields (400 for a body, 422 for a patch's
// result), Warn (also when the parameter is absent) drops them and says so
// in Warning headers, Ignore drops them silently, and no unknown field is
// ever stored.
func TestUnknownFields(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	for i, k := range unknownKinds {
		for _, directive := range []string{"", "Warn", "Ignore", "Strict"} {
			name := fmt.Sprintf("u%d-%s", i, strings.ToLower(directive + "default")[:4])
			t.Run(name, func(t *testing.T) {
				q := ""
				if directive != "" {
					q = "?fieldValidation=" + directive
				}
				obj := k.coll + "/" + name
				body := withBogus(k.body(name))
				check := func(what string, r *testenv.Response, code int, unknown []string) {
					t.Helper()
					if directive == "Strict" {
						want := fmt.Sprintf("strict decoding error: unknown field %q", unknown[0])
						for _, u := range unknown[1:] {
							want += fmt.Sprintf(", unknown field %q", u)
						}
						if strings.Contains(what, "patch") {
							expectStatus(t, r, http.StatusUnprocessableEntity, "Invalid", `"" is invalid: patch: Invalid value: `)
						} else {
							expectStatus(t, r, http.StatusBadRequest, "BadRequest", "")
						}
						if !strings.Contains(string(r.Body), strings.ReplaceAll(want, `"`, `\"`)) {
							t.Fatalf("%s: %s, want %s", what, r.Body, want)
						}
						return
					}
					if r.Code != code || strings.Contains(string(r.Body), "bogus") {
						t.Fatalf("%s: %d %s", what, r.Code, r.Body)
					}
					var want []string
					if directive != "Ignore" {
						for _, u := range unknown {
							want = append(want, fmt.Sprintf(`299 - "unknown field \"%s\""`, u))
						}
					}
					if got := r.Header.Values("Warning"); !slices.Equal(got, want) {
						t.Fatalf("%s: warnings %q, want %q", what, got, want)
					}
				}
				stored := func(what string) {
					t.Helper()
					if g := s.Do(t, "GET", obj, nil); strings.Contains(string(g.Body), "bogus") {
						t.Fatalf("%s: unknown field stored: %s", what, g.Body)
					}
				}

				r := s.Do(t, "POST", k.coll+q, body)
				check("create", r, http.StatusCreated, unknownPaths(body))
				if directive == "Strict" {
					expect(t, s.Do(t, "POST", k.coll, k.body(name)), http.StatusCreated)
				}
				stored("create")

				cur := s.Do(t, "GET", obj, nil)
				expect(t, cur, http.StatusOK)
				r = s.Do(t, "PUT", obj+q, withBogus(string(cur.Body)))
				check("update", r, http.StatusOK, unknownPaths(body))
				stored("update")

				for _, ctype := range []string{"application/merge-patch+json", "application/strategic-merge-patch+json"} {
					r = s.Do(t, "PATCH", obj+q, `{"bogusTop":1,"metadata":{"labels":{"x":"y"},"bogusMeta":2}}`, "Content-Type", ctype)
					check(ctype, r, http.StatusOK, []string{"bogusTop", "metadata.bogusMeta"})
					stored(ctype)
				}
				r = s.Do(t, "PATCH", obj+q, `[{"op":"add","path":"/metadata/bogusMeta","value":1}]`, "Content-Type", "application/json-patch+json")
				check("json patch", r, http.StatusOK, []string{"metadata.bogusMeta"})
				stored("json patch")

				if !k.status {
					return
				}
				var o map[string]any
				s.Do(t, "GET", obj, nil).JSON(t, &o)
				st, _ := o["status"].(map[string]any)
				if st == nil {
					st = map[string]any{}
				}
				st["bogusStatus"] = 1
				o["status"] = st
				r = s.Do(t, "PUT", obj+"/status"+q, o)
				check("status update", r, http.StatusOK, []string{"status.bogusStatus"})
				stored("status update")
				r = s.Do(t, "PATCH", obj+"/status"+q, `{"status":{"bogusStatus":1}}`, "Content-Type", "application/merge-patch+json")
				check("status patch", r, http.StatusOK, []string{"status.bogusStatus"})
				stored("status patch")
			})
		}
	}

	// Any other directive is Kubernetes' 422 for the options.
	r := s.Do(t, "POST", "/api/v1/namespaces?fieldValidation=Loose", `{"metadata":{"name":"x"}}`)
	expectStatus(t, r, http.StatusUnprocessableEntity, "Invalid",
		`CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"`)
}
