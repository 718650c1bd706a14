package reqinfo

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Kubernetes API verbs, as Info.Verb reports them for resource requests.
const (
	VerbGet              = "get"
	VerbList             = "list"
	VerbWatch            = "watch"
	VerbCreate           = "create"
	VerbUpdate           = "update"
	VerbPatch            = "patch"
	VerbDelete           = "delete"
	VerbDeleteCollection = "deletecollection"
)

// Info is what a request's method, path and query say about it.
type Info struct {
	// IsResourceRequest is true for a request for a resource under /api or
	// /apis; false for discovery, /healthz, /metrics and the like.
	IsResourceRequest bool
	// Path is the request's URL path.
	Path string
	// Verb is the Kubernetes verb of a resource request (see the Verb
	// constants), or the lower-case HTTP method of any other request.
	Verb        string
	Group       string
	Version     string
	Namespace   string
	Resource    string
	Name        string
	Subresource string
	// LongRunning is true for a request that streams for as long as its
	// client wants (see the package documentation).
	LongRunning bool
}

// namespaceSubresources are the subresources of a namespace object, which
// would otherwise read as a resource inside the namespace.
var namespaceSubresources = map[string]bool{"status": true, "finalize": true}

// streamingSubresources are long-running whatever their parameters.
var streamingSubresources = map[string]bool{"exec": true, "attach": true, "portforward": true, "proxy": true}

// connectSubresources are the pod subresources that open a stream to a
// container: whatever the method, their verb is create.
var connectSubresources = map[string]bool{"exec": true, "attach": true, "portforward": true}

// New parses r.
func New(r *http.Request) Info {
	info := Info{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
	res, ok := parse(r.Method, r.URL.Path, func(name string) bool { return Bool(r.URL.Query()[name]) })
	if !ok {
		return info
	}
	res.Path = r.URL.Path
	res.IsResourceRequest = true
	q := r.URL.Query()
	res.LongRunning = res.Verb == VerbWatch || streamingSubresources[res.Subresource] ||
		(res.Subresource == "log" && Bool(q["follow"]))
	return res
}

// parse reads a path under /api or /apis the way the Kubernetes API
// server's RequestInfoFactory does. ok is false for a path that names no
// resource (discovery documents).
func parse(method, path string, param func(string) bool) (ri Info, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		ri.Version, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		ri.Group, ri.Version, parts = parts[1], parts[2], parts[3:]
	default:
		return ri, false
	}
	legacyWatch := false
	if parts[0] == "watch" {
		legacyWatch, parts = true, parts[1:]
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
	if len(parts) > 3 && ri.Subresource != "proxy" {
		// Only a proxy takes a path after its subresource (the path it
		// proxies to).
		return ri, false
	}
	if ri.Resource == "namespaces" {
		// /api/v1/namespaces/{name}: the namespace is the object itself.
		ri.Namespace = ""
	}
	switch method {
	case http.MethodGet, http.MethodHead:
		switch {
		case ri.Resource == "pods" && connectSubresources[ri.Subresource]:
			// A WebSocket exec is a GET, but it runs something: Kubernetes
			// authorizes it as create, as it does the SPDY POST.
			ri.Verb = VerbCreate
		case legacyWatch:
			ri.Verb = VerbWatch
		case ri.Name != "":
			ri.Verb = VerbGet
		case param("watch"):
			ri.Verb = VerbWatch
		default:
			ri.Verb = VerbList
		}
	case http.MethodPost:
		ri.Verb = VerbCreate
	case http.MethodPut:
		ri.Verb = VerbUpdate
	case http.MethodPatch:
		ri.Verb = VerbPatch
	case http.MethodDelete:
		if ri.Name == "" {
			ri.Verb = VerbDeleteCollection
		} else {
			ri.Verb = VerbDelete
		}
	default:
		return ri, false
	}
	return ri, true
}

// Bool converts a query parameter's values to a boolean as Kubernetes does:
// absent, "0" and "false" (in any case) are false; anything else, even an
// empty value, is true.
func Bool(values []string) bool {
	if len(values) == 0 {
		return false
	}
	return values[0] != "0" && !strings.EqualFold(values[0], "false")
}

type ctxKey struct{}

// WithInfo returns a copy of ctx that carries info.
func WithInfo(ctx context.Context, info Info) context.Context {
	return context.WithValue(ctx, ctxKey{}, info)
}

// From returns the Info ctx carries, and false if Middleware did not run.
func From(ctx context.Context) (Info, bool) {
	info, ok := ctx.Value(ctxKey{}).(Info)
	return info, ok
}

// Of returns the Info Middleware stored for r, or parses r if none was.
func Of(r *http.Request) Info {
	if info, ok := From(r.Context()); ok {
		return info
	}
	return New(r)
}

// Middleware parses each request once and stores its Info in the request's
// context. Install it first, before anything that asks Of.
func Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			c.SetRequest(r.WithContext(WithInfo(r.Context(), New(r))))
			return next(c)
		}
	}
}
