package discovery

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"google.golang.org/protobuf/proto"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/registry"
)

// Media types of OpenAPI v2 as protobuf: the one kubectl asks for, and the
// one the answer carries, as kube-apiserver's (Go's mime package refuses
// the '@' of the first, which kube-apiserver also accepts in Accept).
const (
	mimeProtobufV2       = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
	mimeProtobufV2Answer = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
)

// openAPI holds the encoded OpenAPI documents.
type openAPI struct {
	v2 []byte
	// v2 as gnostic's openapi_v2.Document in protobuf, made on the first
	// request for it: gnostic parses the JSON through a YAML tree, which
	// allocates some 50 MB per document, and a server remakes the
	// documents whenever a CRD changes, while few clients ask for this form.
	v2ProtoOnce sync.Once
	v2Proto     []byte
	v2ProtoErr  error
	v3Index     []byte
	v3          map[string]v3Doc // "api/v1", "apis/apps/v1" → document
}

type v3Doc struct {
	hash string
	body []byte
}

// lazyOpenAPI makes the documents on the first request for any of them:
// they take about 4 MB, a server remakes its handlers whenever a CRD
// changes, and only some clients (kubectl's validation and explain) ask.
type lazyOpenAPI struct {
	gvs  []groupVersion
	once sync.Once
	oa   *openAPI
	err  error
}

func (l *lazyOpenAPI) get(w http.ResponseWriter) (*openAPI, bool) {
	l.once.Do(func() { l.oa, l.err = newOpenAPI(l.gvs) })
	if l.err != nil {
		writeStatus(w, http.StatusInternalServerError, api.StatusReasonInternalError, l.err.Error())
		return nil, false
	}
	return l.oa, true
}

func (l *lazyOpenAPI) serveV2(w http.ResponseWriter, r *http.Request) {
	if oa, ok := l.get(w); ok {
		oa.serveV2(w, r)
	}
}

func (l *lazyOpenAPI) serveV3(w http.ResponseWriter, r *http.Request) {
	if oa, ok := l.get(w); ok {
		oa.serveV3(w, r)
	}
}

// newOpenAPI generates the Swagger 2.0 document of every group version and
// one OpenAPI 3.0 document per group version.
func newOpenAPI(gvs []groupVersion) (*openAPI, error) {
	oa := &openAPI{v3: map[string]v3Doc{}}
	var resources []*registry.Resource
	for _, gv := range gvs {
		resources = append(resources, gv.resources...)
	}

	g2 := newSchemaGen(false, resources)
	paths2 := map[string]any{}
	for _, gv := range gvs {
		if err := addPaths(g2, gv, paths2); err != nil {
			return nil, err
		}
	}
	v2, err := json.Marshal(map[string]any{
		"swagger":     "2.0",
		"info":        map[string]any{"title": "Kubernetes", "version": GitVersion},
		"paths":       paths2,
		"definitions": g2.defs,
	})
	if err != nil {
		return nil, fmt.Errorf("encode openapi v2: %w", err)
	}
	oa.v2 = v2

	index := map[string]any{}
	for _, gv := range gvs {
		g3 := newSchemaGen(true, resources)
		paths := map[string]any{}
		if err := addPaths(g3, gv, paths); err != nil {
			return nil, err
		}
		body, err := json.Marshal(map[string]any{
			"openapi":    "3.0.0",
			"info":       map[string]any{"title": "Kubernetes", "version": GitVersion},
			"paths":      paths,
			"components": map[string]any{"schemas": g3.defs},
		})
		if err != nil {
			return nil, fmt.Errorf("encode openapi v3 %s: %w", gv, err)
		}
		sum := sha512.Sum512(body)
		key := strings.TrimPrefix(gv.path(), "/")
		doc := v3Doc{hash: strings.ToUpper(hex.EncodeToString(sum[:])), body: body}
		oa.v3[key] = doc
		index[key] = map[string]any{"serverRelativeURL": "/openapi/v3/" + key + "?hash=" + doc.hash}
	}
	oa.v3Index, err = json.Marshal(map[string]any{"paths": index})
	if err != nil {
		return nil, fmt.Errorf("encode openapi v3 index: %w", err)
	}
	return oa, nil
}

// protobufV2 is the v2 document as protobuf. kubectl asks for v2 as
// protobuf only (to validate a kind: List, for one): gnostic, the library
// kubectl decodes it with, converts the JSON document to its protobuf form.
func (oa *openAPI) protobufV2() ([]byte, error) {
	oa.v2ProtoOnce.Do(func() {
		doc, err := openapi_v2.ParseDocument(oa.v2)
		if err != nil {
			oa.v2ProtoErr = fmt.Errorf("convert openapi v2 to protobuf: %w", err)
			return
		}
		if oa.v2Proto, err = proto.Marshal(doc); err != nil {
			oa.v2ProtoErr = fmt.Errorf("encode openapi v2 as protobuf: %w", err)
		}
	})
	return oa.v2Proto, oa.v2ProtoErr
}

// serveV2 writes the Swagger 2.0 document as JSON or, to a client that
// names protobuf before JSON in Accept (kubectl names only protobuf), as
// protobuf; 406 to a client that accepts neither.
func (oa *openAPI) serveV2(w http.ResponseWriter, r *http.Request) {
	accept := r.Header.Get("Accept")
	switch {
	case prefersProtobufV2(accept):
		b, err := oa.protobufV2()
		if err != nil {
			writeStatus(w, http.StatusInternalServerError, api.StatusReasonInternalError, err.Error())
			return
		}
		w.Header().Set("Content-Type", mimeProtobufV2Answer)
		_, _ = w.Write(b)
	case acceptsJSON(accept):
		w.Header().Set("Content-Type", mimeJSON)
		_, _ = w.Write(oa.v2)
	default:
		writeStatus(w, http.StatusNotAcceptable, api.StatusReasonNotAcceptable,
			"only application/json and "+mimeProtobufV2+" are served for /openapi/v2")
	}
}

// prefersProtobufV2 reports whether accept names the protobuf form of
// OpenAPI v2 before any JSON type.
func prefersProtobufV2(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case mimeProtobufV2, mimeProtobufV2Answer:
			return true
		case mimeJSON, "application/*", "*/*":
			return false
		}
	}
	return false
}

// serveV3 writes the index at /openapi/v3 or one group version's document
// at /openapi/v3/{api/v1|apis/group/version}. A document asked for with
// its current hash is immutable; an outdated hash is redirected to the
// current one.
func (oa *openAPI) serveV3(w http.ResponseWriter, r *http.Request) {
	key := strings.Trim(strings.TrimPrefix(r.URL.Path, "/openapi/v3"), "/")
	if key == "" {
		w.Header().Set("Content-Type", mimeJSON)
		w.Header().Set("Cache-Control", "no-cache, private")
		_, _ = w.Write(oa.v3Index)
		return
	}
	doc, ok := oa.v3[key]
	if !ok {
		writeStatus(w, http.StatusNotFound, api.StatusReasonNotFound, "no OpenAPI document for "+key)
		return
	}
	if !acceptsJSON(r.Header.Get("Accept")) {
		writeStatus(w, http.StatusNotAcceptable, api.StatusReasonNotAcceptable,
			"only application/json is served for /openapi/v3")
		return
	}
	switch hash := r.URL.Query().Get("hash"); {
	case hash == "":
		w.Header().Set("Cache-Control", "no-cache, private")
	case hash != doc.hash:
		http.Redirect(w, r, "/openapi/v3/"+key+"?hash="+doc.hash, http.StatusMovedPermanently)
		return
	default:
		w.Header().Set("Cache-Control", "public, immutable")
		w.Header().Set("Expires", "Thu, 01 Jan 2037 00:00:00 GMT")
	}
	w.Header().Set("Etag", `"`+doc.hash+`"`)
	w.Header().Set("Content-Type", mimeJSON)
	_, _ = w.Write(doc.body)
}

// acceptsJSON reports whether an Accept header admits application/json.
func acceptsJSON(accept string) bool {
	if accept == "" {
		return true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case mimeJSON, "application/*", "*/*":
			return true
		}
	}
	return false
}

func writeStatus(w http.ResponseWriter, code int, reason api.StatusReason, msg string) {
	b, _ := json.Marshal(api.Status{
		TypeMeta: api.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   "Failure", Message: msg, Reason: reason, Code: int32(code),
	})
	w.Header().Set("Content-Type", mimeJSON)
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// operation is one API operation, before it is written in either OpenAPI
// form.
type operation struct {
	method string // get, put, post, patch, delete
	id     string
	action string // x-kubernetes-action
	kind   gvk
	body   string // definition of the request body; "" for none
	resp   string // definition of the response; "" for text/plain
	params []param
}

type param struct {
	name, in, typ, desc string
	required            bool
}

// Query parameters of the operations.
var (
	pName      = param{"name", "path", "string", "name of the object", true}
	pNamespace = param{"namespace", "path", "string", "object name and auth scope, such as for teams and projects", true}
	pPretty    = param{"pretty", "query", "string", "If 'true', then the output is pretty printed.", false}
	pDryRun    = param{"dryRun", "query", "string", "When present, indicates that modifications should not be persisted. The only valid value is All.", false}
	pManager   = param{"fieldManager", "query", "string", "fieldManager is a name associated with the actor or entity that is making these changes.", false}
	pFieldVal  = param{"fieldValidation", "query", "string", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: " +
		"Ignore drops them, Warn (the default) drops them and returns a warning for each, Strict fails the request.", false}
	pForce   = param{"force", "query", "boolean", "Force is going to \"force\" Apply requests.", false}
	listArgs = []param{
		{"labelSelector", "query", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything.", false},
		{"fieldSelector", "query", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything.", false},
		{"limit", "query", "integer", "The maximum number of objects to return in one page; the list's continue token fetches the next.", false},
		{"continue", "query", "string", "The continue token of the previous page of a list.", false},
		{"resourceVersion", "query", "string", "The revision a list is served at, or a watch starts after.", false},
		{"resourceVersionMatch", "query", "string", "How resourceVersion applies to a list: Exact or NotOlderThan.", false},
		{"watch", "query", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.", false},
		{"allowWatchBookmarks", "query", "boolean", "Ask a watch for BOOKMARK events that carry the current revision.", false},
		{"timeoutSeconds", "query", "integer", "Timeout for the list/watch call.", false},
		{"sendInitialEvents", "query", "boolean", "Start a watch with the current objects, then a bookmark.", false},
	}
	deleteArgs = []param{
		{"gracePeriodSeconds", "query", "integer", "The duration in seconds before the object should be deleted.", false},
		{"propagationPolicy", "query", "string", "Whether and how garbage collection will be performed: Orphan, Background or Foreground.", false},
		pDryRun,
	}
	logArgs = []param{
		{"container", "query", "string", "The container for which to stream logs. Defaults to only container if there is one container in the pod.", false},
		{"follow", "query", "boolean", "Follow the log stream of the pod.", false},
		{"previous", "query", "boolean", "Return previous terminated container logs.", false},
		{"sinceSeconds", "query", "integer", "A relative time in seconds before the current time from which to show logs.", false},
		{"tailLines", "query", "integer", "If set, the number of lines from the end of the logs to show.", false},
		{"timestamps", "query", "boolean", "If true, add an RFC3339 timestamp at the beginning of every line of log output.", false},
		{"limitBytes", "query", "integer", "If set, the number of bytes to read from the server before terminating the log output.", false},
	}
	writeArgs = []param{pDryRun, pManager, pFieldVal}
)

// subresourceTypes are the Go types of the kinds that subresources return
// other than their resource's own.
var subresourceTypes = map[string]reflect.Type{
	"Scale":    reflect.TypeFor[api.Scale](),
	"Binding":  reflect.TypeFor[api.Binding](),
	"Eviction": reflect.TypeFor[api.Eviction](),
}

// addPaths adds the operations of every resource of gv to paths, and the
// definitions they use to g.
func addPaths(g *schemaGen, gv groupVersion, paths map[string]any) error {
	status, err := g.define(reflect.TypeFor[api.Status]())
	if err != nil {
		return err
	}
	deleteOpts, err := g.define(reflect.TypeFor[api.DeleteOptions]())
	if err != nil {
		return err
	}
	g.defs[defPatch] = map[string]any{"type": "object",
		"description": "Patch is the body of a PATCH request: a JSON patch, a JSON merge patch or a strategic merge patch."}

	for _, r := range gv.resources {
		self := gvk{r.Group, r.Version, r.Kind}
		kind, err := g.defineKind(r)
		if err != nil {
			return err
		}
		g.defs[kind]["x-kubernetes-group-version-kind"] = []any{self}
		list := g.defineList(kind, gvk{r.Group, r.Version, r.Kind + "List"})

		id := operationPrefix(gv)
		scope, nsParams := "", []param(nil)
		if r.Namespaced {
			scope, nsParams = "Namespaced", []param{pNamespace}
		}
		base := gv.path()
		collection := base + "/" + r.Name
		if r.Namespaced {
			collection = base + "/namespaces/{namespace}/" + r.Name
		}
		item := collection + "/{name}"
		itemParams := append([]param{pName}, nsParams...)
		ops := map[string][]operation{
			collection: {
				{method: "get", id: "list" + id + scope + r.Kind, action: "list", kind: self, resp: list,
					params: concat(nsParams, []param{pPretty}, listArgs)},
				{method: "post", id: "create" + id + scope + r.Kind, action: "post", kind: self, body: kind, resp: kind,
					params: concat(nsParams, []param{pPretty}, writeArgs)},
				{method: "delete", id: "deletecollection" + id + scope + r.Kind, action: "deletecollection", kind: self,
					body: deleteOpts, resp: status, params: concat(nsParams, []param{pPretty}, deleteArgs, listArgs)},
			},
			item: {
				{method: "get", id: "read" + id + scope + r.Kind, action: "get", kind: self, resp: kind,
					params: concat(itemParams, []param{pPretty})},
				{method: "put", id: "replace" + id + scope + r.Kind, action: "put", kind: self, body: kind, resp: kind,
					params: concat(itemParams, []param{pPretty}, writeArgs)},
				{method: "patch", id: "patch" + id + scope + r.Kind, action: "patch", kind: self, body: defPatch, resp: kind,
					params: concat(itemParams, []param{pPretty}, writeArgs, []param{pForce})},
				{method: "delete", id: "delete" + id + scope + r.Kind, action: "delete", kind: self,
					body: deleteOpts, resp: status, params: concat(itemParams, []param{pPretty}, deleteArgs)},
			},
		}
		if !r.HasVerb("deletecollection") {
			ops[collection] = ops[collection][:2]
		}
		if r.Namespaced {
			ops[base+"/"+r.Name] = []operation{{method: "get", id: "list" + id + r.Kind + "ForAllNamespaces",
				action: "list", kind: self, resp: list, params: concat([]param{pPretty}, listArgs)}}
		}
		for _, name := range r.Subresources {
			sub, ok := subresourceOf(r, name)
			if !ok {
				continue
			}
			subKind := kind
			if t, ok := subresourceTypes[sub.kind.Kind]; ok {
				if subKind, err = g.define(t); err != nil {
					return err
				}
				g.defs[subKind]["x-kubernetes-group-version-kind"] = []any{sub.kind}
			}
			subID := strings.ToUpper(sub.name[:1]) + sub.name[1:]
			var subOps []operation
			for _, verb := range sub.verbs {
				o := operation{kind: sub.kind, resp: subKind, params: concat(itemParams, []param{pPretty})}
				switch verb {
				case "get":
					o.method, o.id, o.action = "get", "read", "get"
					if sub.name == "log" {
						o.resp, o.action, o.params = "", "get", concat(o.params, logArgs)
					}
				case "update":
					o.method, o.id, o.action, o.body = "put", "replace", "put", subKind
					o.params = concat(o.params, writeArgs)
				case "patch":
					o.method, o.id, o.action, o.body = "patch", "patch", "patch", defPatch
					o.params = concat(o.params, writeArgs, []param{pForce})
				case "create":
					o.method, o.id, o.action, o.body = "post", "create", "post", subKind
					o.params = concat(o.params, writeArgs)
				}
				o.id += id + scope + r.Kind + subID
				subOps = append(subOps, o)
			}
			ops[item+"/"+sub.name] = subOps
		}
		for path, pathOps := range ops {
			p := map[string]any{}
			for _, o := range pathOps {
				p[o.method] = g.render(o)
			}
			paths[path] = p
		}
	}
	return nil
}

// defineList adds the definition of the list of kind.
func (g *schemaGen) defineList(kind string, list gvk) string {
	name := kind + "List"
	items := g.ref(kind)
	listMeta := g.ref(defMeta + "ListMeta")
	if g.v3 {
		listMeta = map[string]any{"allOf": []any{listMeta}}
	}
	listMeta["description"] = "Standard list metadata."
	g.defs[name] = map[string]any{
		"type":        "object",
		"description": list.Kind + " is a list of " + shortName(kind) + " objects.",
		"required":    []string{"items"},
		"properties": map[string]any{
			"apiVersion": map[string]any{"type": "string", "description": g.fieldDescription(list.Kind, "apiVersion")},
			"kind":       map[string]any{"type": "string", "description": g.fieldDescription(list.Kind, "kind")},
			"items":      map[string]any{"type": "array", "items": items, "description": "List of " + shortName(kind) + " objects."},
			"metadata":   listMeta,
		},
		"x-kubernetes-group-version-kind": []any{list},
	}
	return name
}

// render writes an operation in g's OpenAPI form.
func (g *schemaGen) render(o operation) map[string]any {
	out := map[string]any{
		"operationId":                     o.id,
		"description":                     o.action + " " + o.kind.Kind,
		"x-kubernetes-action":             o.action,
		"x-kubernetes-group-version-kind": o.kind,
	}
	var params []any
	for _, p := range o.params {
		pm := map[string]any{"name": p.name, "in": p.in, "description": p.desc}
		if p.required {
			pm["required"] = true
		}
		if g.v3 {
			pm["schema"] = map[string]any{"type": p.typ}
		} else {
			pm["type"] = p.typ
		}
		params = append(params, pm)
	}
	consumes := []string{"*/*"}
	if o.method == "patch" {
		consumes = []string{"application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"}
	}
	produces := []string{mimeJSON, "application/yaml"}
	if o.resp == "" {
		produces = []string{"text/plain"}
	}
	resp := map[string]any{"description": "OK"}
	if g.v3 {
		if o.body != "" {
			content := map[string]any{}
			for _, c := range consumes {
				content[c] = map[string]any{"schema": g.ref(o.body)}
			}
			out["requestBody"] = map[string]any{"content": content, "required": o.method != "delete"}
		}
		content := map[string]any{}
		for _, c := range produces {
			if o.resp == "" {
				content[c] = map[string]any{"schema": map[string]any{"type": "string"}}
			} else {
				content[c] = map[string]any{"schema": g.ref(o.resp)}
			}
		}
		resp["content"] = content
	} else {
		if o.body != "" {
			params = append(params, map[string]any{"name": "body", "in": "body", "required": o.method != "delete",
				"schema": g.ref(o.body)})
		}
		if o.resp == "" {
			resp["schema"] = map[string]any{"type": "string"}
		} else {
			resp["schema"] = g.ref(o.resp)
		}
		out["consumes"], out["produces"], out["schemes"] = consumes, produces, []string{"https"}
	}
	out["parameters"] = params
	out["responses"] = map[string]any{"200": resp, "401": map[string]any{"description": "Unauthorized"}}
	return out
}

// operationPrefix is the group-version part of an operation id:
// "CoreV1", "AppsV1", "CoordinationV1".
func operationPrefix(gv groupVersion) string {
	group := "core"
	if gv.group != "" {
		group, _, _ = strings.Cut(gv.group, ".")
	}
	return strings.ToUpper(group[:1]) + group[1:] + strings.ToUpper(gv.version[:1]) + gv.version[1:]
}

func concat(lists ...[]param) []param {
	var out []param
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
