package apiserver

import (
	"net/http"
	"testing"
)

func TestParseRequestInfoConnectSubresources(t *testing.T) {
	tests := []struct {
		name, method, path string
		want               requestInfo
	}{
		{"websocket exec is create", http.MethodGet, "/api/v1/namespaces/ns/pods/p/exec",
			requestInfo{Verb: "create", Version: "v1", Namespace: "ns", Resource: "pods", Name: "p", Subresource: "exec"}},
		{"spdy exec is create", http.MethodPost, "/api/v1/namespaces/ns/pods/p/exec",
			requestInfo{Verb: "create", Version: "v1", Namespace: "ns", Resource: "pods", Name: "p", Subresource: "exec"}},
		{"websocket attach is create", http.MethodGet, "/api/v1/namespaces/ns/pods/p/attach",
			requestInfo{Verb: "create", Version: "v1", Namespace: "ns", Resource: "pods", Name: "p", Subresource: "attach"}},
		{"websocket portforward is create", http.MethodGet, "/api/v1/namespaces/ns/pods/p/portforward",
			requestInfo{Verb: "create", Version: "v1", Namespace: "ns", Resource: "pods", Name: "p", Subresource: "portforward"}},
		{"log stays get", http.MethodGet, "/api/v1/namespaces/ns/pods/p/log",
			requestInfo{Verb: "get", Version: "v1", Namespace: "ns", Resource: "pods", Name: "p", Subresource: "log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRequestInfo(tt.method, tt.path, false)
			if !ok || got != tt.want {
				t.Errorf("parseRequestInfo(%s %s) = %+v, %v; want %+v", tt.method, tt.path, got, ok, tt.want)
			}
		})
	}
}
