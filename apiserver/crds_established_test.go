package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/api"
)

// TestCRDEstablishedOnlyOnceDocumented checks the order Helm relies on: a
// CRD is Established only when the discovery documents list its kind, also
// when it was deleted and created again under the same name. Then the
// deletion's build of the documents, without the kind, queues the name,
// and the sync it causes found the new CRD accepted and wrote Established
// before the next build listed it; Helm, installing a chart's crds/ again
// after a test deleted them, read discovery in that window and failed with
// `no matches for kind "Gadget"`.
func TestCRDEstablishedOnlyOnceDocumented(t *testing.T) {
	t.Parallel()
	c, err := newCRDs(zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	crd := func(uid string) *api.CustomResourceDefinition {
		var d api.CustomResourceDefinition
		if err := api.Unmarshal([]byte(`{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
			"metadata":{"name":"gadgets.example.com","uid":"`+uid+`"},
			"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"gadgets","singular":"gadget","kind":"Gadget"},
			"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}`), &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	const name = "gadgets.example.com"
	// listed: the documents serve the group version with the kind.
	listed := func() bool {
		rec := httptest.NewRecorder()
		ctx := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/apis/example.com/v1", nil), rec)
		return c.discovery().Serve(ctx) && rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), `"Gadget"`)
	}

	// Created: served at once, documented after the build.
	c.rebuild(map[string]*api.CustomResourceDefinition{name: crd("uid-1")}, []string{name})
	if c.documentedNow(name, "uid-1") {
		t.Fatal("documented before the documents were built")
	}
	if pending := c.buildDocs(c.takeDocsWork()); !pending[name] || !c.documentedNow(name, "uid-1") || !listed() {
		t.Fatalf("after the build: pending %v, documented %v, listed %v", pending, c.documentedNow(name, "uid-1"), listed())
	}

	// Deleted, and created again while the deletion's documents are built.
	c.rebuild(map[string]*api.CustomResourceDefinition{}, []string{name})
	work := c.takeDocsWork()
	c.rebuild(map[string]*api.CustomResourceDefinition{name: crd("uid-2")}, []string{name})
	pending := c.buildDocs(work)
	if !pending[name] {
		t.Fatalf("the deletion's build queues %v, want %s", pending, name)
	}
	if listed() || c.documentedNow(name, "uid-2") {
		t.Fatalf("the deletion's documents: listed %v, documented %v; want neither", listed(), c.documentedNow(name, "uid-2"))
	}
	// The next build lists the new CRD's kind; then it may be Established.
	if pending := c.buildDocs(c.takeDocsWork()); !pending[name] || !listed() || !c.documentedNow(name, "uid-2") {
		t.Fatalf("after the next build: pending %v, listed %v, documented %v", pending, listed(), c.documentedNow(name, "uid-2"))
	}
}
