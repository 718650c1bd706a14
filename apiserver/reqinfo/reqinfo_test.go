package reqinfo

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		method, target string
		verb           string
		long           bool
		resource       bool
	}{
		{"GET", "/api/v1/pods", "list", false, true},
		{"GET", "/api/v1/pods?watch=true", "watch", true, true},
		{"GET", "/api/v1/pods?watch=1", "watch", true, true},
		// Kubernetes reads any value but 0 and false as true.
		{"GET", "/api/v1/pods?watch=t", "watch", true, true},
		{"GET", "/api/v1/pods?watch=True", "watch", true, true},
		{"GET", "/api/v1/pods?watch=yes", "watch", true, true},
		{"GET", "/api/v1/pods?watch=", "watch", true, true},
		{"GET", "/api/v1/pods?watch=0", "list", false, true},
		{"GET", "/api/v1/pods?watch=FALSE", "list", false, true},
		{"GET", "/api/v1/pods?watch=false&watch=true", "list", false, true},
		// The watch parameter counts on collections only.
		{"GET", "/api/v1/namespaces/ns/pods/p?watch=true", "get", false, true},
		{"POST", "/api/v1/namespaces/ns/pods?watch=true", "create", false, true},
		{"GET", "/api/v1/watch/pods", "watch", true, true},
		{"GET", "/api/v1/watch/namespaces/ns/pods/p", "watch", true, true},
		{"GET", "/apis/apps/v1/watch/deployments", "watch", true, true},
		{"GET", "/api/v1/namespaces/ns/pods/watch", "get", false, true}, // a pod named watch
		{"GET", "/apis/apps/v1/namespaces/watch/deployments", "list", false, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/log?follow=true", "get", true, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/log?follow=T", "get", true, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/log", "get", false, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/log?follow=false", "get", false, true},
		{"POST", "/api/v1/namespaces/ns/pods/p/exec", "create", true, true},
		// A WebSocket exec, attach or port-forward is a GET, authorized as
		// create, as Kubernetes does.
		{"GET", "/api/v1/namespaces/ns/pods/p/exec", "create", true, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/attach", "create", true, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/portforward", "create", true, true},
		// A proxy's verb is its method's; only a proxy takes a path after
		// its subresource.
		{"GET", "/api/v1/namespaces/ns/pods/p:8080/proxy/a/b/", "get", true, true},
		{"POST", "/api/v1/namespaces/ns/services/https:s:web/proxy/a", "create", true, true},
		{"DELETE", "/api/v1/nodes/n/proxy/x", "delete", true, true},
		{"GET", "/api/v1/namespaces/ns/pods/p/log/x", "get", false, false},
		{"DELETE", "/api/v1/namespaces/ns/pods", "deletecollection", false, true},
		{"PUT", "/api/v1/namespaces/ns/status", "update", false, true},
		{"GET", "/api/v1", "get", false, false},
		{"GET", "/readyz", "get", false, false},
		{"POST", "/", "post", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			got := New(httptest.NewRequest(tt.method, tt.target, nil))
			if got.Verb != tt.verb || got.LongRunning != tt.long || got.IsResourceRequest != tt.resource {
				t.Errorf("got verb %q long-running %v resource %v, want %q %v %v",
					got.Verb, got.LongRunning, got.IsResourceRequest, tt.verb, tt.long, tt.resource)
			}
		})
	}
}

func TestOfUsesStoredInfo(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil)
	stored := Info{Verb: "watch", LongRunning: true}
	r = r.WithContext(WithInfo(r.Context(), stored))
	if got := Of(r); got != stored {
		t.Fatalf("Of = %+v, want the stored %+v", got, stored)
	}
}
