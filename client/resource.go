package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/minik8s/minik8s/api"
)

// GVR names a resource: its API group and version, its plural name, and
// whether its objects live in namespaces.
type GVR struct {
	Group      string // "" for the core group
	Version    string
	Resource   string
	Namespaced bool
}

// The resources minik8s serves.
var (
	Pods        = GVR{Version: "v1", Resource: "pods", Namespaced: true}
	Nodes       = GVR{Version: "v1", Resource: "nodes"}
	Namespaces  = GVR{Version: "v1", Resource: "namespaces"}
	Events      = GVR{Version: "v1", Resource: "events", Namespaced: true}
	Deployments = GVR{Group: "apps", Version: "v1", Resource: "deployments", Namespaced: true}
	ReplicaSets = GVR{Group: "apps", Version: "v1", Resource: "replicasets", Namespaced: true}
	Leases      = GVR{Group: "coordination.k8s.io", Version: "v1", Resource: "leases", Namespaced: true}

	StatefulSets         = GVR{Group: "apps", Version: "v1", Resource: "statefulsets", Namespaced: true}
	PodDisruptionBudgets = GVR{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets", Namespaced: true}
	Services             = GVR{Version: "v1", Resource: "services", Namespaced: true}
	Endpoints            = GVR{Version: "v1", Resource: "endpoints", Namespaced: true}
	EndpointSlices       = GVR{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices", Namespaced: true}
	// ServiceAccounts, ConfigMaps, Secrets and ResourceQuotas: core/v1.
	ServiceAccounts = GVR{Version: "v1", Resource: "serviceaccounts", Namespaced: true}
	ConfigMaps      = GVR{Version: "v1", Resource: "configmaps", Namespaced: true}
	Secrets         = GVR{Version: "v1", Resource: "secrets", Namespaced: true}
	ResourceQuotas  = GVR{Version: "v1", Resource: "resourcequotas", Namespaced: true}
	Jobs            = GVR{Group: "batch", Version: "v1", Resource: "jobs", Namespaced: true}
	CronJobs        = GVR{Group: "batch", Version: "v1", Resource: "cronjobs", Namespaced: true}
	// DaemonSets, ControllerRevisions (apps/v1) and PersistentVolumeClaims
	// (core/v1): the DaemonSet and StatefulSet controllers'.
	DaemonSets             = GVR{Group: "apps", Version: "v1", Resource: "daemonsets", Namespaced: true}
	ControllerRevisions    = GVR{Group: "apps", Version: "v1", Resource: "controllerrevisions", Namespaced: true}
	PersistentVolumeClaims = GVR{Version: "v1", Resource: "persistentvolumeclaims", Namespaced: true}

	Roles               = GVR{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Namespaced: true}
	RoleBindings        = GVR{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Namespaced: true}
	ClusterRoles        = GVR{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	ClusterRoleBindings = GVR{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}
	// HorizontalPodAutoscalers: autoscaling/v2.
	HorizontalPodAutoscalers = GVR{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers", Namespaced: true}
)

// PatchType is the Content-Type of a PATCH body.
type PatchType string

const (
	JSONPatchType           PatchType = "application/json-patch+json"
	MergePatchType          PatchType = "application/merge-patch+json"
	StrategicMergePatchType PatchType = "application/strategic-merge-patch+json"
)

// ListOptions narrow a List or a Watch.
type ListOptions struct {
	LabelSelector string // e.g. "app=web,tier!=db"
	FieldSelector string // e.g. "spec.nodeName=n1"
	// ResourceVersion of a List: "" for the latest, "0" for any. Watch
	// ignores it and takes fromRV.
	ResourceVersion string
	// Limit is the page size of a List; List still returns every page.
	Limit int64
	// TimeoutSeconds asks the server to end a watch after that long.
	TimeoutSeconds int64
	// OmitManagedFields asks a minik8s API server to leave
	// metadata.managedFields out of the objects it lists or watches, for a
	// client that drops them anyway (an informer); Kubernetes ignores it.
	OmitManagedFields bool
	// Shared lets List and Watch return, instead of decoding it again, an
	// object this process's informers keep already at that version
	// (api.Shared: read-only, trimmed and compacted as they keep it). For
	// informers; it sends nothing to the server.
	Shared bool
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.LabelSelector != "" {
		q.Set("labelSelector", o.LabelSelector)
	}
	if o.FieldSelector != "" {
		q.Set("fieldSelector", o.FieldSelector)
	}
	if o.TimeoutSeconds > 0 {
		q.Set("timeoutSeconds", strconv.FormatInt(o.TimeoutSeconds, 10))
	}
	if o.OmitManagedFields {
		q.Set("omitManagedFields", "true")
	}
	return q
}

// ResourceClient reads and writes the objects of one resource, in one
// namespace ("" for all namespaces, or for a cluster-scoped resource).
// T is the kind (api.Pod) and PT its pointer (*api.Pod). Objects returned
// are freshly decoded and owned by the caller.
type ResourceClient[T any, PT interface {
	*T
	api.Object
}] struct {
	c   *Client
	gvr GVR
	ns  string
}

// Resource returns a client for gvr in namespace ns.
func Resource[T any, PT interface {
	*T
	api.Object
}](c *Client, gvr GVR, ns string) *ResourceClient[T, PT] {
	if !gvr.Namespaced {
		ns = ""
	}
	return &ResourceClient[T, PT]{c: c, gvr: gvr, ns: ns}
}

// Namespace is the namespace the client was made for.
func (r *ResourceClient[T, PT]) Namespace() string { return r.ns }

// path builds /api/v1[/namespaces/ns]/resource[/name[/sub]].
func (r *ResourceClient[T, PT]) path(ns, name, sub string) string {
	p := r.gvr.Path(ns)
	if name != "" {
		p += "/" + name
		if sub != "" {
			p += "/" + sub
		}
	}
	return p
}

// objectNS is the namespace for a request about one object: the client's,
// else the object's own.
func (r *ResourceClient[T, PT]) objectNS(objNS string) (string, error) {
	if !r.gvr.Namespaced {
		return "", nil
	}
	if r.ns != "" {
		return r.ns, nil
	}
	if objNS == "" {
		return "", fmt.Errorf("%s: namespace required", r.gvr.Resource)
	}
	return objNS, nil
}

func (r *ResourceClient[T, PT]) namedPath(name, sub string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%s: name required", r.gvr.Resource)
	}
	ns, err := r.objectNS("")
	if err != nil {
		return "", err
	}
	return r.path(ns, name, sub), nil
}

// Get reads one object; a *StatusError for which IsNotFound holds if it
// does not exist.
func (r *ResourceClient[T, PT]) Get(ctx context.Context, name string) (PT, error) {
	p, err := r.namedPath(name, "")
	if err != nil {
		return nil, err
	}
	out := PT(new(T))
	if err := r.c.do(ctx, &request{method: http.MethodGet, path: p, typed: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// List returns every object matching opt and the resourceVersion the list
// was read at. With opt.Limit it reads page by page, following continue
// tokens, and returns the resourceVersion of the first page (the server
// serves every page from that snapshot).
func (r *ResourceClient[T, PT]) List(ctx context.Context, opt ListOptions) ([]PT, int64, error) {
	q := opt.query()
	if opt.ResourceVersion != "" {
		q.Set("resourceVersion", opt.ResourceVersion)
	}
	if opt.Limit > 0 {
		q.Set("limit", strconv.FormatInt(opt.Limit, 10))
	}
	var (
		items []PT
		rv    int64
	)
	for page := 0; ; page++ {
		meta, err := r.listPage(ctx, q, opt.Shared, &items)
		if err != nil {
			return nil, 0, err
		}
		if page == 0 {
			if rv, err = parseRV(meta.ResourceVersion); err != nil {
				return nil, 0, fmt.Errorf("list %s: %w", r.gvr.Resource, err)
			}
		}
		if meta.Continue == "" {
			return items, rv, nil
		}
		q.Set("continue", meta.Continue)
		q.Del("resourceVersion")
	}
}

// listPage reads one page of a list and appends its objects to items.
// With shared, each item is decoded on its own (listed); otherwise all
// at once, into one array.
func (r *ResourceClient[T, PT]) listPage(ctx context.Context, q url.Values, shared bool, items *[]PT) (api.ListMeta, error) {
	req := &request{method: http.MethodGet, path: r.path(r.ns, "", ""), query: q, typed: true}
	if shared {
		var list struct {
			Metadata api.ListMeta      `json:"metadata"`
			Items    []json.RawMessage `json:"items"`
		}
		if err := r.c.do(ctx, req, &list); err != nil {
			return api.ListMeta{}, err
		}
		for _, raw := range list.Items {
			obj, err := r.listed(raw)
			if err != nil {
				return api.ListMeta{}, fmt.Errorf("list %s: %w", r.gvr.Resource, err)
			}
			*items = append(*items, obj)
		}
		return list.Metadata, nil
	}
	var list struct {
		Metadata api.ListMeta `json:"metadata"`
		Items    []T          `json:"items"`
	}
	if err := r.c.do(ctx, req, &list); err != nil {
		return api.ListMeta{}, err
	}
	for i := range list.Items {
		*items = append(*items, &list.Items[i])
	}
	return list.Metadata, nil
}

// listed returns the object the process's informers keep at the version
// of a list's item (api.Shared), or decodes it: an allocation of its own,
// so that a cache keeping some items of a list does not keep the whole
// list's array.
func (r *ResourceClient[T, PT]) listed(raw []byte) (PT, error) {
	m := gjson.GetManyBytes(raw, "apiVersion", "metadata.uid", "metadata.resourceVersion")
	if obj, ok := sharedObject[PT](m[0], m[1], m[2]); ok {
		return obj, nil
	}
	obj := PT(new(T))
	if err := api.UnmarshalTrusted(raw, obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// parseRV parses a resourceVersion; "" is 0.
func parseRV(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	rv, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse resourceVersion %q: %w", s, err)
	}
	return rv, nil
}

// ResourceVersion returns obj's metadata.resourceVersion as a number, 0 if
// it is empty or not a number.
func ResourceVersion(obj api.Object) int64 {
	rv, _ := parseRV(obj.GetObjectMeta().ResourceVersion)
	return rv
}

// Create writes a new object and returns it as stored. The namespace is the
// client's, or the object's if the client has none.
func (r *ResourceClient[T, PT]) Create(ctx context.Context, obj PT) (PT, error) {
	ns, err := r.objectNS(obj.GetObjectMeta().Namespace)
	if err != nil {
		return nil, err
	}
	return r.write(ctx, http.MethodPost, r.path(ns, "", ""), obj)
}

// Update replaces an object (PUT). The server rejects it with 409 Conflict
// if obj's resourceVersion is not the stored one.
func (r *ResourceClient[T, PT]) Update(ctx context.Context, obj PT) (PT, error) {
	return r.put(ctx, obj, "")
}

// UpdateStatus replaces an object's status (PUT to the status subresource);
// it conflicts as Update does.
func (r *ResourceClient[T, PT]) UpdateStatus(ctx context.Context, obj PT) (PT, error) {
	return r.put(ctx, obj, "status")
}

func (r *ResourceClient[T, PT]) put(ctx context.Context, obj PT, sub string) (PT, error) {
	m := obj.GetObjectMeta()
	if m.Name == "" {
		return nil, fmt.Errorf("%s: name required", r.gvr.Resource)
	}
	ns, err := r.objectNS(m.Namespace)
	if err != nil {
		return nil, err
	}
	return r.write(ctx, http.MethodPut, r.path(ns, m.Name, sub), obj)
}

func (r *ResourceClient[T, PT]) write(ctx context.Context, method, path string, obj PT) (PT, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", r.gvr.Resource, err)
	}
	out := PT(new(T))
	if err := r.c.do(ctx, &request{method: method, path: path, body: b, typed: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Patch applies a JSON, merge or strategic-merge patch to the named object,
// or to its subresource (such as "status") if one is given, and returns the
// result.
func (r *ResourceClient[T, PT]) Patch(ctx context.Context, name string, pt PatchType, data []byte, subresource ...string) (PT, error) {
	out := PT(new(T))
	if err := r.patch(ctx, name, pt, data, subresource, out); err != nil {
		return nil, err
	}
	return out, nil
}

// PatchDiscard patches as Patch does but does not decode the object the
// server answers with, for a caller that would ignore it (a node agent's
// pod status writes: decoding the pod cost more than sending the patch).
func (r *ResourceClient[T, PT]) PatchDiscard(ctx context.Context, name string, pt PatchType, data []byte, subresource ...string) error {
	return r.patch(ctx, name, pt, data, subresource, nil)
}

// patch sends the patch and decodes the answer into out, if not nil.
func (r *ResourceClient[T, PT]) patch(ctx context.Context, name string, pt PatchType, data []byte, subresource []string, out PT) error {
	if len(subresource) > 1 {
		return errors.New("patch: at most one subresource")
	}
	p, err := r.namedPath(name, firstOr(subresource, ""))
	if err != nil {
		return err
	}
	var dst any
	if out != nil {
		dst = out
	}
	return r.c.do(ctx, &request{method: http.MethodPatch, path: p, body: data, contentType: string(pt), typed: true}, dst)
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// Delete deletes the named object; IsNotFound if it does not exist.
// Objects with finalizers are only marked for deletion.
func (r *ResourceClient[T, PT]) Delete(ctx context.Context, name string, opts api.DeleteOptions) error {
	p, err := r.namedPath(name, "")
	if err != nil {
		return err
	}
	return r.delete(ctx, p, nil, opts)
}

// DeleteCollection deletes every object of the client's namespace (or of
// all namespaces) that matches lo.
func (r *ResourceClient[T, PT]) DeleteCollection(ctx context.Context, opts api.DeleteOptions, lo ListOptions) error {
	return r.delete(ctx, r.path(r.ns, "", ""), lo.query(), opts)
}

func (r *ResourceClient[T, PT]) delete(ctx context.Context, path string, q url.Values, opts api.DeleteOptions) error {
	opts.Kind, opts.APIVersion = "DeleteOptions", "v1"
	b, err := json.Marshal(opts)
	if err != nil {
		return fmt.Errorf("encode delete options: %w", err)
	}
	return r.c.do(ctx, &request{method: http.MethodDelete, path: path, query: q, body: b}, nil)
}
