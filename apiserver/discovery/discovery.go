package discovery

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"runtime"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/apiserver/registry"
)

// Major, Minor and GitVersion are the Kubernetes version minik8s reports at
// /version: kubectl warns when its own minor version is more than one away.
// GitVersion marks minik8s in semver build metadata ("+minik8s", as k3s
// writes "+k3s1"), not in a pre-release tag: "v1.32.0-minik8s" is a
// pre-release, which semver ranges without one exclude, so Helm refused
// charts whose Chart.yaml says `kubeVersion: ">=1.23.0"` and templates'
// `semverCompare ">=1.19" .Capabilities.KubeVersion.GitVersion` was false.
const (
	Major      = "1"
	Minor      = "32"
	GitVersion = "v1.32.0+minik8s"
)

// Media types of the aggregated discovery document.
const (
	mimeJSON       = "application/json"
	mimeAggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
)

// Handlers serves the discovery, version and OpenAPI documents of a set of
// resources. It is immutable after New and safe for concurrent use.
type Handlers struct {
	plain      map[string][]byte // path → JSON document
	aggregated map[string][]byte // "/api", "/apis" → APIGroupDiscoveryList
	openapi    *lazyOpenAPI
}

// New builds every document for resources (normally registry.All()). It
// fails if a resource's Go type cannot be described in OpenAPI.
func New(resources []*registry.Resource) (*Handlers, error) {
	h := &Handlers{plain: map[string][]byte{}, aggregated: map[string][]byte{}}
	gvs := groupVersions(resources)

	var (
		groups     []any
		coreAgg    []any
		groupAggs  []any
		versionDoc = map[string]any{
			"major": Major, "minor": Minor, "gitVersion": GitVersion,
			"gitCommit": "", "gitTreeState": "", "buildDate": "",
			"goVersion": runtime.Version(), "compiler": runtime.Compiler,
			"platform": runtime.GOOS + "/" + runtime.GOARCH,
		}
	)
	// A group served at several versions (a custom kind's) is one group
	// with its versions in Kubernetes' priority order, the first preferred.
	var groupOrder []string
	byGroup := map[string][]groupVersion{}
	for _, gv := range gvs {
		if err := h.add(gv.path(), resourceList(gv)); err != nil {
			return nil, err
		}
		if _, ok := byGroup[gv.group]; !ok {
			groupOrder = append(groupOrder, gv.group)
		}
		byGroup[gv.group] = append(byGroup[gv.group], gv)
	}
	for _, name := range groupOrder {
		versions := byGroup[name]
		sort.SliceStable(versions, func(i, j int) bool { return versionLess(versions[j].version, versions[i].version) })
		var aggVersions, plainVersions []any
		for _, gv := range versions {
			aggVersions = append(aggVersions, map[string]any{
				"version": gv.version, "resources": aggregatedResources(gv), "freshness": "Current",
			})
			plainVersions = append(plainVersions, map[string]any{"groupVersion": gv.String(), "version": gv.version})
		}
		agg := map[string]any{"metadata": map[string]any{"name": name}, "versions": aggVersions}
		if name == "" {
			coreAgg = append(coreAgg, agg)
			continue
		}
		groupAggs = append(groupAggs, agg)
		group := map[string]any{
			"name": name, "versions": plainVersions, "preferredVersion": plainVersions[0],
		}
		groups = append(groups, group)
		if err := h.add("/apis/"+name, withKind("APIGroup", group)); err != nil {
			return nil, err
		}
	}
	docs := map[string]any{
		"/api": map[string]any{
			"kind": "APIVersions", "versions": []string{"v1"},
			"serverAddressByClientCIDRs": []any{},
		},
		"/apis":    withKind("APIGroupList", map[string]any{"groups": groups}),
		"/version": versionDoc,
	}
	for path, doc := range docs {
		if err := h.add(path, doc); err != nil {
			return nil, err
		}
	}
	for path, items := range map[string][]any{"/api": coreAgg, "/apis": groupAggs} {
		b, err := json.Marshal(map[string]any{
			"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
			"metadata": map[string]any{}, "items": items,
		})
		if err != nil {
			return nil, fmt.Errorf("encode discovery %s: %w", path, err)
		}
		h.aggregated[path] = b
	}

	h.openapi = &lazyOpenAPI{gvs: gvs}
	return h, nil
}

func (h *Handlers) add(path string, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode discovery %s: %w", path, err)
	}
	h.plain[path] = b
	return nil
}

func withKind(kind string, doc map[string]any) map[string]any {
	doc["kind"], doc["apiVersion"] = kind, "v1"
	return doc
}

// Register mounts /api, /apis, /version and the OpenAPI documents on e.
// The group and group-version documents under /api/ and /apis/ are left
// to the caller's wildcard routes, which hand them to Serve.
func (h *Handlers) Register(e *echo.Echo) {
	RegisterCurrent(e, func() *Handlers { return h })
}

// RegisterCurrent is Register for documents that change (as
// CustomResourceDefinitions come and go): each request is served from the
// Handlers current returns.
func RegisterCurrent(e *echo.Echo, current func() *Handlers) {
	serve := func(c echo.Context) error {
		if !current().Serve(c) {
			return echo.ErrNotFound
		}
		return nil
	}
	e.GET("/api", serve)
	e.GET("/apis", serve)
	e.GET("/version", serve)
	e.GET("/openapi/v2", func(c echo.Context) error {
		current().openapi.serveV2(c.Response(), c.Request())
		return nil
	})
	e.GET("/openapi/v3", func(c echo.Context) error {
		current().openapi.serveV3(c.Response(), c.Request())
		return nil
	})
	e.GET("/openapi/v3/*", func(c echo.Context) error {
		current().openapi.serveV3(c.Response(), c.Request())
		return nil
	})
}

// Serve writes the discovery document at the request's path, if there is
// one, and reports whether it did: /api, /api/v1, /apis, /apis/{group},
// /apis/{group}/{version} and /version.
func (h *Handlers) Serve(c echo.Context) bool {
	w, r := c.Response(), c.Request()
	path := strings.TrimSuffix(r.URL.Path, "/")
	body, ok := h.plain[path]
	if !ok {
		return false
	}
	ctype := mimeJSON
	if agg, ok := h.aggregated[path]; ok {
		w.Header().Set("Vary", "Accept")
		if wantsAggregated(r.Header.Get("Accept")) {
			body, ctype = agg, mimeAggregated
		}
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return true
}

// wantsAggregated reports whether the first acceptable media type in accept
// is the v2 aggregated discovery document (client-go lists it before plain
// JSON).
func wantsAggregated(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case mt == mimeJSON && params["g"] == "apidiscovery.k8s.io" && params["v"] == "v2" &&
			params["as"] == "APIGroupDiscoveryList":
			return true
		case (mt == mimeJSON && params["as"] == "") || mt == "*/*" || mt == "application/*":
			return false
		}
	}
	return false
}

// groupVersion is the resources served in one API group version.
type groupVersion struct {
	group, version string
	resources      []*registry.Resource
}

func (gv groupVersion) String() string {
	if gv.group == "" {
		return gv.version
	}
	return gv.group + "/" + gv.version
}

// path is where the group version is served: /api/v1, /apis/apps/v1.
func (gv groupVersion) path() string {
	if gv.group == "" {
		return "/api/" + gv.version
	}
	return "/apis/" + gv.group + "/" + gv.version
}

// groupVersions groups resources by group version: core first, then the
// groups in the order they first appear, as kubectl lists them.
func groupVersions(resources []*registry.Resource) []groupVersion {
	var gvs []groupVersion
	index := map[string]int{}
	for _, r := range resources {
		key := r.GroupVersion()
		i, ok := index[key]
		if !ok {
			i = len(gvs)
			index[key] = i
			gvs = append(gvs, groupVersion{group: r.Group, version: r.Version})
		}
		gvs[i].resources = append(gvs[i].resources, r)
	}
	sort.SliceStable(gvs, func(i, j int) bool { return gvs[i].group == "" && gvs[j].group != "" })
	return gvs
}

// gvk is a group, version and kind as discovery and OpenAPI spell it.
type gvk struct {
	Group   string `json:"group"`
	Version string `json:"version"`
	Kind    string `json:"kind"`
}

// subresource describes one subresource for discovery and OpenAPI.
type subresource struct {
	name  string
	kind  gvk      // what it returns
	verbs []string // Kubernetes verbs, sorted
}

// subresourceOf describes sub of r; ok is false for a subresource this
// package does not know.
func subresourceOf(r *registry.Resource, sub string) (subresource, bool) {
	self := gvk{r.Group, r.Version, r.Kind}
	switch sub {
	case "status":
		return subresource{sub, self, []string{"get", "patch", "update"}}, true
	case "scale":
		return subresource{sub, gvk{"autoscaling", "v1", "Scale"}, []string{"get", "patch", "update"}}, true
	case "binding":
		return subresource{sub, gvk{"", "v1", "Binding"}, []string{"create"}}, true
	case "eviction":
		return subresource{sub, gvk{"policy", "v1", "Eviction"}, []string{"create"}}, true
	case "log":
		return subresource{sub, self, []string{"get"}}, true
	case "token":
		return subresource{sub, gvk{"authentication.k8s.io", "v1", "TokenRequest"}, []string{"create"}}, true
	}
	return subresource{}, false
}

// resourceList is the APIResourceList of a group version: each resource,
// then each of its subresources, sorted by name as Kubernetes does.
func resourceList(gv groupVersion) map[string]any {
	var entries []map[string]any
	for _, r := range gv.resources {
		e := map[string]any{
			"name": r.Name, "singularName": r.Singular, "namespaced": r.Namespaced,
			"kind": r.Kind, "verbs": r.AllowedVerbs(),
		}
		if len(r.ShortNames) > 0 {
			e["shortNames"] = r.ShortNames
		}
		if len(r.Categories) > 0 {
			e["categories"] = r.Categories
		}
		entries = append(entries, e)
		for _, name := range r.Subresources {
			sub, ok := subresourceOf(r, name)
			if !ok {
				continue
			}
			e := map[string]any{
				"name": r.Name + "/" + sub.name, "singularName": "", "namespaced": r.Namespaced,
				"kind": sub.kind.Kind, "verbs": sub.verbs,
			}
			if sub.kind.Group != r.Group || sub.kind.Version != r.Version {
				e["group"], e["version"] = sub.kind.Group, sub.kind.Version
			}
			entries = append(entries, e)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i]["name"].(string) < entries[j]["name"].(string) })
	return withKind("APIResourceList", map[string]any{"groupVersion": gv.String(), "resources": entries})
}

// aggregatedResources are a group version's resources in the
// apidiscovery.k8s.io/v2 form.
func aggregatedResources(gv groupVersion) []any {
	var out []any
	for _, r := range gv.resources {
		scope := "Cluster"
		if r.Namespaced {
			scope = "Namespaced"
		}
		e := map[string]any{
			"resource":         r.Name,
			"responseKind":     gvk{r.Group, r.Version, r.Kind},
			"scope":            scope,
			"singularResource": r.Singular,
			"verbs":            r.AllowedVerbs(),
		}
		if len(r.ShortNames) > 0 {
			e["shortNames"] = r.ShortNames
		}
		if len(r.Categories) > 0 {
			e["categories"] = r.Categories
		}
		var subs []any
		for _, name := range r.Subresources {
			if sub, ok := subresourceOf(r, name); ok {
				subs = append(subs, map[string]any{
					"subresource": sub.name, "responseKind": sub.kind, "verbs": sub.verbs,
				})
			}
		}
		if len(subs) > 0 {
			e["subresources"] = subs
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].(map[string]any)["resource"].(string) < out[j].(map[string]any)["resource"].(string)
	})
	return out
}

// versionLess orders versions as Kubernetes prioritises them: GA before
// beta before alpha, higher numbers first within each, and versions not
// of that form last, alphabetically. versionLess(a, b) means b comes
// first.
func versionLess(a, b string) bool {
	ka, kb := versionKey(a), versionKey(b)
	if ka.rank != kb.rank {
		return ka.rank < kb.rank
	}
	if ka.rank == 0 {
		return a > b
	}
	if ka.major != kb.major {
		return ka.major < kb.major
	}
	return ka.minor < kb.minor
}

type versionRank struct{ rank, major, minor int }

// versionKey reads v1 (rank 3), v1beta2 (2), v1alpha1 (1); anything else
// is rank 0.
func versionKey(v string) versionRank {
	var major, minor int
	var kind string
	if n, _ := fmt.Sscanf(v, "v%d%s", &major, &kind); n == 1 && v == fmt.Sprintf("v%d", major) {
		return versionRank{3, major, 0}
	}
	for rank, word := range map[int]string{2: "beta", 1: "alpha"} {
		if n, _ := fmt.Sscanf(v, "v%d"+word+"%d", &major, &minor); n == 2 && v == fmt.Sprintf("v%d%s%d", major, word, minor) {
			return versionRank{rank, major, minor}
		}
	}
	return versionRank{}
}
