package apiserver_test

import (
	"net/http"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// TestDryRunAnswers: a dry run answers as the write would (409 for a
// taken name, the marked object for a delete that waits on finalizers),
// stores nothing and takes no revision; a dryRun value other than All is
// Kubernetes' 422 on the verb's options, and nothing is written.
func TestDryRunAnswers(t *testing.T) {
	t.Parallel()
	s := testenv.StartAPIServer(t, testenv.Options{})
	const cms = "/api/v1/namespaces/default/configmaps"
	expect(t, s.Do(t, "POST", cms, `{"metadata":{"name":"a","finalizers":["example.com/hold"]},"data":{"k":"v"}}`), http.StatusCreated)
	expect(t, s.Do(t, "POST", cms, `{"metadata":{"name":"b"},"data":{"k":"v"}}`), http.StatusCreated)
	revision := func() string {
		t.Helper()
		var l struct {
			Metadata struct {
				ResourceVersion string `json:"resourceVersion"`
			} `json:"metadata"`
		}
		r := s.Do(t, "GET", cms, nil)
		expect(t, r, http.StatusOK)
		r.JSON(t, &l)
		return l.Metadata.ResourceVersion
	}
	before := revision()

	// Values other than All, on every verb, in the query or a
	// DeleteOptions body.
	for _, c := range []struct{ method, path, body, kind string }{
		{"POST", cms + "?dryRun=Foo", `{"metadata":{"name":"c"}}`, "CreateOptions"},
		{"POST", cms + "?dryRun=All&dryRun=all", `{"metadata":{"name":"c"}}`, "CreateOptions"},
		{"PUT", cms + "/b?dryRun=", `{"metadata":{"name":"b"},"data":{"k":"w"}}`, "UpdateOptions"},
		{"PATCH", cms + "/b?dryRun=Server", `{"data":{"k":"w"}}`, "PatchOptions"},
		{"DELETE", cms + "/b?dryRun=true", "", "DeleteOptions"},
		{"DELETE", cms + "/b", `{"dryRun":["Bogus"]}`, "DeleteOptions"},
		{"DELETE", cms + "?dryRun=Foo", "", "DeleteOptions"},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		var h []string
		if c.method == "PATCH" {
			h = []string{"Content-Type", "application/merge-patch+json"}
		}
		r := s.Do(t, c.method, c.path, body, h...)
		expectStatus(t, r, http.StatusUnprocessableEntity, "Invalid",
			c.kind+`.meta.k8s.io "" is invalid: dryRun: Unsupported value: `)
		expectStatus(t, r, http.StatusUnprocessableEntity, "Invalid", `supported values: "All"`)
	}
	expect(t, s.Do(t, "GET", cms+"/c", nil), http.StatusNotFound)

	// A name that is taken: 409, as the create would.
	expectStatus(t, s.Do(t, "POST", cms+"?dryRun=All", `{"metadata":{"name":"b"}}`), http.StatusConflict,
		"AlreadyExists", `configmaps "b" already exists`)
	expect(t, s.Do(t, "POST", cms+"?dryRun=All", `{"metadata":{"name":"c"}}`), http.StatusCreated)

	// A delete that waits on a finalizer answers with the marked object.
	var marked obj
	r := s.Do(t, "DELETE", cms+"/a?dryRun=All", nil)
	expect(t, r, http.StatusOK)
	r.JSON(t, &marked)
	if marked.Metadata.DeletionTimestamp == nil {
		t.Fatalf("dry-run delete of an object with a finalizer answered without deletionTimestamp: %s", r.Body)
	}
	var stored obj
	r = s.Do(t, "GET", cms+"/a", nil)
	expect(t, r, http.StatusOK)
	r.JSON(t, &stored)
	if stored.Metadata.DeletionTimestamp != nil {
		t.Fatal("a dry-run delete marked the stored object")
	}

	// A collection: nothing goes.
	expect(t, s.Do(t, "DELETE", cms+"?dryRun=All", nil), http.StatusOK)
	expect(t, s.Do(t, "GET", cms+"/b", nil), http.StatusOK)

	if after := revision(); after != before {
		t.Fatalf("dry runs and refused writes moved the revision from %s to %s", before, after)
	}
}
