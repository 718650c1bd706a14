package apiserver

import (
	"net/http"
	"strings"
)

// requestInfo is what a Kubernetes API path and method say about a request.
type requestInfo struct {
	Verb        string // get, list, watch, create, update, patch, delete, deletecollection
	Group       string
	Version     string
	Namespace   string
	Resource    string
	Name        string
	Subresource string
}

// namespaceSubresources are the subresources of a namespace object, which
// would otherwise read as a resource inside the namespace.
var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

// connectSubresources are the pod subresources that open a stream to a
// container: whatever the method, their verb is create.
var connectSubresources = map[string]bool{"exec": true, "attach": true, "portforward": true}

// parseRequestInfo reads a path under /api or /apis the way the Kubernetes
// API server's RequestInfoFactory does. ok is false for a path that names
// no resource (discovery documents).
func parseRequestInfo(method, path string, watchParam bool) (ri requestInfo, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		ri.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		ri.Group, ri.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return ri, false
	}
	watch := watchParam
	if parts[0] == "watch" {
		watch, parts = true, parts[1:]
		if len(parts) == 0 {
			return ri, false
		}
	}
	if parts[0] == "namespaces" && len(parts) > 1 {
		ri.Namespace = parts[1]
		if len(parts) > 2 && !namespaceSubresources[parts[2]] {
			parts = parts[2:]
		}
	}
	ri.Resource = parts[0]
	if len(parts) > 1 {
		ri.Name = parts[1]
	}
	if len(parts) > 2 {
		ri.Subresource = parts[2]
	}
	if len(parts) > 3 {
		return ri, false
	}
	if ri.Resource == "namespaces" {
		// /api/v1/namespaces/{name}: the namespace is the object itself.
		ri.Namespace = ""
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case connectSubresources[ri.Subresource] && ri.Resource == "pods":
			// A WebSocket exec is a GET, but it runs something: Kubernetes
			// authorizes it as create as well, as it does the SPDY POST.
			ri.Verb = "create"
		case watch:
			ri.Verb = "watch"
		case ri.Name == "":
			ri.Verb = "list"
		default:
			ri.Verb = "get"
		}
	case http.MethodPost:
		ri.Verb = "create"
	case http.MethodPut:
		ri.Verb = "update"
	case http.MethodPatch:
		ri.Verb = "patch"
	case http.MethodDelete:
		if ri.Name == "" {
			ri.Verb = "deletecollection"
		} else {
			ri.Verb = "delete"
		}
	default:
		return ri, false
	}
	return ri, true
}
