package fieldmanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/merge"
	"sigs.k8s.io/structured-merge-diff/v6/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
	"sigs.k8s.io/structured-merge-diff/v6/value"

	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/apiserver/structural"
)

// Operations of a managedFields entry.
const (
	OperationApply  = "Apply"
	OperationUpdate = "Update"
)

// LastAppliedAnnotation is kubectl's client-side apply annotation.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// kubectlManager is the field manager of kubectl apply --server-side: the
// one whose applies take over what kubectl's client-side apply set, and
// keep its annotation in step (as Kubernetes' lastAppliedManager and
// lastAppliedUpdater do).
const kubectlManager = "kubectl"

// Object is a decoded JSON object, numbers as json.Number.
type Object = map[string]any

// ErrBadRequest wraps the errors of an apply body that cannot be applied
// (the API server answers 400).
var ErrBadRequest = errors.New("bad request")

// Conflicts is an apply's conflicts with other managers: the API server
// answers 409 with a cause for each.
type Conflicts struct{ c merge.Conflicts }

func (c *Conflicts) Error() string { return c.Message() }

// Cause is one conflict: the field (as Kubernetes prints paths) and the
// manager that owns it.
type Cause struct{ Field, Message string }

// Causes lists the conflicts as Kubernetes' Status causes.
func (c *Conflicts) Causes() []Cause {
	out := make([]Cause, 0, len(c.c))
	for _, x := range c.c {
		out = append(out, Cause{Field: x.Path.String(), Message: "conflict with " + printManager(x.Manager)})
	}
	return out
}

// Message is Kubernetes' message for the conflicts.
func (c *Conflicts) Message() string {
	if len(c.c) == 1 {
		return fmt.Sprintf("Apply failed with 1 conflict: conflict with %v: %v", printManager(c.c[0].Manager), c.c[0].Path)
	}
	byManager := map[string][]fieldpath.Path{}
	var managers []string
	for _, x := range c.c {
		if _, ok := byManager[x.Manager]; !ok {
			managers = append(managers, x.Manager)
		}
		byManager[x.Manager] = append(byManager[x.Manager], x.Path)
	}
	sort.Strings(managers)
	var lines []string
	for _, m := range managers {
		lines = append(lines, fmt.Sprintf("conflicts with %v:", printManager(m)))
		for _, p := range byManager[m] {
			lines = append(lines, fmt.Sprintf("- %v", p))
		}
	}
	return fmt.Sprintf("Apply failed with %d conflicts: %s", len(c.c), strings.Join(lines, "\n"))
}

// printManager renders a manager identity as Kubernetes does in conflicts.
func printManager(id string) string {
	e, err := parseIdentity(id)
	if err != nil {
		return strconv.Quote(id)
	}
	s := strconv.Quote(e.Manager)
	if e.Subresource != "" {
		s = fmt.Sprintf("%s with subresource %q", s, e.Subresource)
	}
	if e.Operation == OperationUpdate {
		return fmt.Sprintf("%s using %v", s, e.APIVersion)
	}
	return s
}

// Entry is one metadata.managedFields entry. The order of its fields is
// Kubernetes' (manager identities are its JSON without time and fields).
type Entry struct {
	Manager     string          `json:"manager,omitempty"`
	Operation   string          `json:"operation,omitempty"`
	APIVersion  string          `json:"apiVersion,omitempty"`
	Time        string          `json:"time,omitempty"`
	FieldsType  string          `json:"fieldsType,omitempty"`
	FieldsV1    json.RawMessage `json:"fieldsV1,omitempty"`
	Subresource string          `json:"subresource,omitempty"`
}

// identity is the manager's key in fieldpath.ManagedFields: the entry
// without time and fields; appliers without apiVersion, so that one
// applier is one entry whatever version it applies at.
// It is the JSON json.Marshal gives, written without reflection: every
// write of an object computes its managers' identities.
func identity(e Entry) string {
	if e.Operation == OperationApply {
		e.APIVersion = ""
	}
	b := make([]byte, 0, 96)
	b = append(b, '{')
	for _, f := range [...]struct{ key, value string }{
		{"manager", e.Manager}, {"operation", e.Operation}, {"apiVersion", e.APIVersion}, {"subresource", e.Subresource},
	} {
		if f.value == "" {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, f.key...)
		b = append(b, '"', ':')
		b = appendJSONString(b, f.value)
	}
	return string(append(b, '}'))
}

// appendJSONString appends s as json.Marshal writes it: quoted as it is
// when nothing in it needs escaping, else by json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// parseIdentity is the Entry an identity was made from. Parses are kept
// (a kind's objects have a handful of managers), up to maxIdentities.
func parseIdentity(id string) (Entry, error) {
	if e, ok := identities.Load(id); ok {
		return e.(Entry), nil
	}
	var e Entry
	if err := json.Unmarshal([]byte(id), &e); err != nil {
		return e, err
	}
	if identitiesHeld.Add(1) <= maxIdentities {
		identities.Store(id, e)
	}
	return e, nil
}

var (
	identities     sync.Map // identity -> Entry
	identitiesHeld atomic.Int64
)

const maxIdentities = 4096

// Manager tracks field ownership of one kind at one version, and applies.
// It is safe for concurrent use.
type Manager struct {
	schema *schema.Schema
	root   schema.TypeRef
	gv     fieldpath.APIVersion
	// main is for writes of the object, status for its status
	// subresource; each ignores what the other owns.
	main, status *merge.Updater
	creates      createCache
}

// ForGo is the Manager of a built-in kind, whose objects are Go type t
// served at group version gv; hasStatus says status is written only
// through the status subresource.
func ForGo(t reflect.Type, gv string, hasStatus bool) *Manager {
	s, root := schemaForGo(t)
	return newManager(s, root, gv, hasStatus)
}

// ForStructural is the Manager of a custom resource version.
func ForStructural(s *structural.Schema, gv string, hasStatus bool) *Manager {
	sc, root := schemaForStructural(s)
	return newManager(sc, root, gv, hasStatus)
}

func newManager(s *schema.Schema, root, gv string, hasStatus bool) *Manager {
	v := fieldpath.APIVersion(gv)
	m := &Manager{schema: s, root: named(root), gv: v}
	conv := sameVersion{}
	m.main = &merge.Updater{Converter: conv}
	m.status = &merge.Updater{Converter: conv}
	if hasStatus {
		m.main.IgnoreFilter = map[fieldpath.APIVersion]fieldpath.Filter{
			v: fieldpath.NewExcludeSetFilter(fieldpath.NewSet(fieldpath.MakePathOrDie("status")))}
		m.status.IgnoreFilter = map[fieldpath.APIVersion]fieldpath.Filter{
			v: fieldpath.NewExcludeSetFilter(fieldpath.NewSet(fieldpath.MakePathOrDie("spec"), fieldpath.MakePathOrDie("metadata")))}
	}
	return m
}

// sameVersion converts nothing: every version of a kind has the same
// shape here (field sets of other versions are compared as they are).
type sameVersion struct{}

func (sameVersion) Convert(o *typed.TypedValue, _ fieldpath.APIVersion) (*typed.TypedValue, error) {
	return o, nil
}
func (sameVersion) IsMissingVersionError(error) bool { return false }

func (m *Manager) updater(subresource string) *merge.Updater {
	if subresource == "status" {
		return m.status
	}
	return m.main
}

// stripped are the fields no manager owns: identity and server-set
// metadata (Kubernetes' StripMetaManager).
var stripped = fieldpath.NewSet(
	fieldpath.MakePathOrDie("apiVersion"),
	fieldpath.MakePathOrDie("kind"),
	fieldpath.MakePathOrDie("metadata"),
	fieldpath.MakePathOrDie("metadata", "name"),
	fieldpath.MakePathOrDie("metadata", "namespace"),
	fieldpath.MakePathOrDie("metadata", "creationTimestamp"),
	fieldpath.MakePathOrDie("metadata", "selfLink"),
	fieldpath.MakePathOrDie("metadata", "uid"),
	fieldpath.MakePathOrDie("metadata", "clusterName"),
	fieldpath.MakePathOrDie("metadata", "generation"),
	fieldpath.MakePathOrDie("metadata", "managedFields"),
	fieldpath.MakePathOrDie("metadata", "resourceVersion"),
)

// managed is the decoded metadata.managedFields of an object.
type managed struct {
	fields fieldpath.ManagedFields
	times  map[string]string
	// read holds, by manager identity, the set read from the object and
	// its FieldsV1 as decoded, which encode writes back as it was if the
	// manager's set is still that one (most entries of most writes).
	read map[string]readFields
}

type readFields struct {
	set    *fieldpath.Set
	fields map[string]any
}

// Validate checks the managedFields an object carries as Kubernetes'
// ValidateManagedFields does.
func Validate(o Object) field.ErrorList {
	l, ok := metaOf(o)["managedFields"].([]any)
	if !ok {
		if v, present := metaOf(o)["managedFields"]; present && v != nil {
			return field.ErrorList{field.Invalid(field.NewPath("metadata", "managedFields"), v, "must be a list of entries")}
		}
		return nil
	}
	var errs field.ErrorList
	p := field.NewPath("metadata", "managedFields")
	for i, raw := range l {
		e, ok := raw.(map[string]any)
		if !ok {
			errs = append(errs, field.Invalid(p.Index(i), raw, "must be an entry"))
			continue
		}
		op, _ := e["operation"].(string)
		if op != OperationApply && op != OperationUpdate {
			errs = append(errs, field.Invalid(p.Index(i).Child("operation"), e["operation"], "must be `Apply` or `Update`"))
		}
		if ft, _ := e["fieldsType"].(string); e["fieldsType"] != nil && ft != "FieldsV1" {
			errs = append(errs, field.Invalid(p.Index(i).Child("fieldsType"), e["fieldsType"], "must be `FieldsV1`"))
		}
		if mgr, _ := e["manager"].(string); len(mgr) > 128 {
			errs = append(errs, field.TooLong(p.Index(i).Child("manager"), 128))
		}
	}
	return errs
}

// decode reads an object's managedFields; ok is false when it has none
// or they cannot be read.
func decode(o Object) (managed, bool) {
	mf := managed{fields: fieldpath.ManagedFields{}, times: map[string]string{}, read: map[string]readFields{}}
	l, _ := metaOf(o)["managedFields"].([]any)
	if len(l) == 0 {
		return mf, false
	}
	for _, raw := range l {
		m, ok := raw.(map[string]any)
		if !ok {
			return mf, false
		}
		var e Entry
		for _, f := range []struct {
			name string
			to   *string
		}{{"manager", &e.Manager}, {"operation", &e.Operation}, {"apiVersion", &e.APIVersion},
			{"time", &e.Time}, {"subresource", &e.Subresource}} {
			switch v := m[f.name].(type) {
			case string:
				*f.to = v
			case nil:
			default:
				return mf, false
			}
		}
		set := &fieldpath.Set{}
		fields, _ := m["fieldsV1"].(map[string]any)
		if v := m["fieldsV1"]; v != nil && (fields == nil || !readSet(fields, set)) {
			return mf, false
		}
		id := identity(e)
		mf.fields[id] = fieldpath.NewVersionedSet(set, fieldpath.APIVersion(e.APIVersion), e.Operation == OperationApply)
		mf.read[id] = readFields{set: set, fields: fields}
		if e.Time != "" {
			mf.times[id] = e.Time
		}
	}
	return mf, true
}

// readSet fills set from a decoded FieldsV1 object, the inverse of
// setJSON: each key is a path element whose value lists its children,
// and the element is a member itself if that value is empty or has ".".
// Keys of a kind this version does not know are dropped, as
// structured-merge-diff's own reader does. It reports false for what is
// not FieldsV1.
func readSet(fields map[string]any, set *fieldpath.Set) bool {
	for k, v := range fields {
		if k == "." {
			continue
		}
		pe, err := fieldpath.DeserializePathElement(k)
		if errors.Is(err, fieldpath.ErrUnknownPathElementType) {
			continue
		}
		child, ok := v.(map[string]any)
		if err != nil || !ok {
			return false
		}
		_, self := child["."]
		if self || len(child) == 0 {
			set.Members.Insert(pe)
		}
		if self && len(child) == 1 || len(child) == 0 {
			continue
		}
		if !readSet(child, set.Children.Descend(pe)) {
			return false
		}
	}
	return true
}

// isReset reports whether o's managedFields ask for a reset: an empty
// list, or one empty entry.
func isReset(o Object) bool {
	v, present := metaOf(o)["managedFields"]
	if !present {
		return false
	}
	l, ok := v.([]any)
	if !ok {
		return false
	}
	if len(l) == 0 {
		return true
	}
	e, ok := l[0].(map[string]any)
	return len(l) == 1 && ok && len(e) == 0
}

// encode sets o's managedFields, in Kubernetes' order: appliers first,
// then by time, manager, apiVersion and subresource.
func encode(o Object, mf managed) error {
	entries := make([]Entry, 0, len(mf.fields))
	bySet := map[string]*fieldpath.Set{}
	for id, vs := range mf.fields {
		if vs.Set().Empty() {
			continue
		}
		e, err := parseIdentity(id)
		if err != nil {
			return fmt.Errorf("manager identity %q: %w", id, err)
		}
		e.APIVersion = string(vs.APIVersion())
		e.Time = mf.times[id]
		e.FieldsType = "FieldsV1"
		bySet[id] = vs.Set()
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool {
		p, q := entries[i], entries[j]
		switch {
		case p.Operation != q.Operation:
			return p.Operation < q.Operation
		case p.Time != q.Time:
			return p.Time < q.Time
		case p.Manager != q.Manager:
			return p.Manager < q.Manager
		case p.APIVersion != q.APIVersion:
			return p.APIVersion < q.APIVersion
		}
		return p.Subresource < q.Subresource
	})
	sets := make([]map[string]any, len(entries))
	for i, e := range entries {
		id := identity(e)
		if r, ok := mf.read[id]; ok && r.set == bySet[id] && r.fields != nil {
			sets[i] = r.fields
		} else {
			sets[i] = setJSON(bySet[id], false)
		}
	}
	meta := metaOf(o)
	if len(entries) == 0 {
		delete(meta, "managedFields")
		return nil
	}
	l := make([]any, len(entries))
	for i, e := range entries {
		m := map[string]any{"manager": e.Manager, "operation": e.Operation, "apiVersion": e.APIVersion,
			"fieldsType": e.FieldsType, "fieldsV1": sets[i]}
		if e.Time != "" {
			m["time"] = e.Time
		}
		if e.Subresource != "" {
			m["subresource"] = e.Subresource
		}
		l[i] = m
	}
	meta["managedFields"] = l
	return nil
}

// setJSON is the FieldsV1 form of a set as a decoded JSON object, built
// directly rather than encoded and decoded again: {"f:name": {}, "k:{…}":
// {".": {}, …}}.
func setJSON(s *fieldpath.Set, self bool) map[string]any {
	m := map[string]any{}
	if self && !s.Empty() {
		m["."] = map[string]any{}
	}
	s.Members.Iterate(func(pe fieldpath.PathElement) {
		if k, err := fieldpath.SerializePathElement(pe); err == nil {
			m[k] = map[string]any{}
		}
	})
	s.Children.Iterate(func(pe fieldpath.PathElement) {
		child, ok := s.Children.Get(pe)
		k, err := fieldpath.SerializePathElement(pe)
		if !ok || err != nil {
			return
		}
		m[k] = setJSON(child, s.Members.Has(pe))
	})
	return m
}

// Update records in next's managedFields what manager changed from cur
// (nil on create), as a write that is not an apply does. The managedFields
// next carries are kept if they can be read (a client may set them), else
// cur's; subresource writes always keep cur's. A failure leaves next
// without managedFields changes it cannot compute and is returned for the
// log, never for the client: Kubernetes' UpdateNoErrors. A status write
// (subresource "status") must change nothing but status.
func (m *Manager) Update(cur, next Object, manager, subresource string, now time.Time) error {
	var mf managed
	var ok bool
	switch {
	case subresource != "" && cur != nil:
		mf, _ = decode(cur)
	case isReset(next):
		mf, _ = decode(nil)
	default:
		if mf, ok = decode(next); !ok && cur != nil {
			mf, _ = decode(cur)
		}
	}
	delete(metaOf(next), "managedFields")
	id := identity(Entry{Manager: manager, Operation: OperationUpdate, APIVersion: string(m.gv), Subresource: subresource})
	if cur == nil && len(mf.fields) == 0 {
		set, fields, err := m.createSet(next, subresource)
		if err != nil {
			return err
		}
		if !set.Empty() {
			mf.fields[id] = fieldpath.NewVersionedSet(set, m.gv, false)
			mf.times[id] = now.UTC().Format(time.RFC3339)
			if fields != nil {
				// encode writes these fields for this set.
				mf.read[id] = readFields{set: set, fields: fields}
			}
		}
		return encode(next, mf)
	}
	live, changed := cur, next
	switch {
	case cur == nil:
		live = Object{}
	case subresource == "status":
		// A status write leaves all but status as it was (the caller's
		// PrepareForStatusUpdate), so status alone compares the same: a
		// pod's status is a sixth of it, and the comparison most of the
		// cost of its status writes.
		live, changed = statusOnly(cur), statusOnly(next)
	}
	const current = "current-operation"
	_, fields, err := m.updater(subresource).Update(m.unvalidated(live), m.unvalidated(changed), m.gv, mf.fields, current)
	if err != nil {
		return err
	}
	if vs, ok := fields[current]; ok {
		delete(fields, current)
		set := vs.Set()
		if prev, ok := fields[id]; ok {
			set = set.Union(prev.Set())
		}
		set = set.Difference(stripped)
		if r, ok := mf.read[id]; ok && set.Equals(r.set) {
			// A manager that wrote only fields it owned already (a
			// controller's status, again) keeps the set it was read
			// with, which encode writes as it was read.
			set = r.set
		}
		if !set.Empty() {
			fields[id] = fieldpath.NewVersionedSet(set, m.gv, false)
			mf.times[id] = now.UTC().Format(time.RFC3339)
		}
	}
	mf.fields = fields
	return encode(next, mf)
}

// createSet is the set the manager of a create owns, and its FieldsV1
// when the body was seen before (else nil), which the caller may change.
func (m *Manager) createSet(o Object, subresource string) (*fieldpath.Set, map[string]any, error) {
	k, cacheable := digestOf(o, subresource)
	var seen bool
	if cacheable {
		var r *readFields
		if r, seen = m.creates.get(k); r != nil {
			return r.set, copyTree(r.fields), nil
		}
	}
	// The manager owns every field there is, which is cheaper to list
	// than to compare with an empty object.
	set, err := m.unvalidated(o).ToFieldSet()
	if err != nil {
		return nil, nil, err
	}
	if f := m.updater(subresource).IgnoreFilter[m.gv]; f != nil {
		set = f.Filter(set)
	}
	if set = set.Difference(stripped); !seen {
		return set, nil, nil
	}
	fields := setJSON(set, false)
	m.creates.put(k, &readFields{set: set, fields: fields})
	return set, copyTree(fields), nil
}

// Apply merges the applied configuration patch into cur (an object with
// only apiVersion, kind and metadata's name and namespace when there is
// none yet) as manager's, and returns the result with its managedFields.
// force takes over fields other managers own; otherwise a change to them
// is a *Conflicts. A body that cannot be applied wraps ErrBadRequest.
func (m *Manager) Apply(cur, patch Object, manager, subresource string, force bool, now time.Time) (Object, error) {
	if v, ok := metaOf(patch)["managedFields"]; ok && v != nil {
		return nil, fmt.Errorf("%w: metadata.managedFields must be nil", ErrBadRequest)
	}
	mf, _ := decode(cur)
	live, err := m.typed(cur, true)
	if err != nil {
		return nil, fmt.Errorf("failed to create typed live object: %v", err)
	}
	config, err := m.typed(patch, false)
	if err != nil {
		return nil, fmt.Errorf("%w: failed to create typed patch object: %v", ErrBadRequest, err)
	}
	id := identity(Entry{Manager: manager, Operation: OperationApply, Subresource: subresource})
	u := m.updater(subresource)
	merged, fields, err := u.Apply(live, config, m.gv, copyFields(mf.fields), id, force)
	var conflicts merge.Conflicts
	if errors.As(err, &conflicts) && manager == kubectlManager {
		// kubectl apply --server-side on what kubectl apply set: the
		// fields of the last client-side apply are kubectl's to take.
		if allowed := m.lastAppliedFields(cur); allowed != nil {
			var left merge.Conflicts
			for _, c := range conflicts {
				if !allowed.Has(c.Path) {
					left = append(left, c)
				}
			}
			if len(left) == 0 {
				merged, fields, err = u.Apply(live, config, m.gv, copyFields(mf.fields), id, true)
			} else {
				err = left
			}
		}
	}
	if errors.As(err, &conflicts) {
		return nil, &Conflicts{c: conflicts}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	var out Object
	if merged == nil {
		out = copyObject(cur)
		if prev, ok := mf.times[id]; ok {
			mf.times[id] = prev
		} else {
			mf.times[id] = now.UTC().Format(time.RFC3339)
		}
	} else {
		if out, err = fromTyped(merged); err != nil {
			return nil, err
		}
		mf.times[id] = now.UTC().Format(time.RFC3339)
	}
	if vs, ok := fields[id]; ok {
		fields[id] = fieldpath.NewVersionedSet(vs.Set().Difference(stripped), vs.APIVersion(), true)
	}
	mf.fields = fields
	if manager == kubectlManager {
		if err := keepLastApplied(out, cur, patch); err != nil {
			return nil, err
		}
	}
	delete(metaOf(out), "managedFields")
	if err := encode(out, mf); err != nil {
		return nil, err
	}
	return out, nil
}

// lastAppliedFields are the fields of cur's last client-side apply, or
// nil.
func (m *Manager) lastAppliedFields(cur Object) *fieldpath.Set {
	ann, _ := metaOf(cur)["annotations"].(map[string]any)
	s, _ := ann[LastAppliedAnnotation].(string)
	if s == "" {
		return nil
	}
	o, err := decodeJSON([]byte(s))
	if err != nil {
		return nil
	}
	obj, ok := o.(map[string]any)
	if !ok {
		return nil
	}
	tv, err := m.typed(obj, true)
	if err != nil {
		return nil
	}
	set, err := tv.ToFieldSet()
	if err != nil {
		return nil
	}
	return set
}

// keepLastApplied keeps kubectl's last-applied annotation in step with a
// server-side apply by kubectl, when the object has one: it becomes the
// applied configuration, as a client-side apply would have written it.
func keepLastApplied(out, cur, patch Object) error {
	ann, _ := metaOf(cur)["annotations"].(map[string]any)
	if _, ok := ann[LastAppliedAnnotation]; !ok {
		return nil
	}
	applied := copyObject(patch)
	if a, ok := metaOf(applied)["annotations"].(map[string]any); ok {
		delete(a, LastAppliedAnnotation)
		if len(a) == 0 {
			delete(metaOf(applied), "annotations")
		}
	}
	b, err := json.Marshal(applied)
	if err != nil {
		return err
	}
	outAnn, ok := metaOf(out)["annotations"].(map[string]any)
	if !ok {
		outAnn = map[string]any{}
		metaOf(out)["annotations"] = outAnn
	}
	outAnn[LastAppliedAnnotation] = string(b)
	return nil
}

func copyFields(f fieldpath.ManagedFields) fieldpath.ManagedFields {
	c := make(fieldpath.ManagedFields, len(f))
	for k, v := range f {
		c[k] = v
	}
	return c
}

// typed converts an object, without its managedFields, to a typed value.
func (m *Manager) typed(o Object, allowDuplicates bool) (*typed.TypedValue, error) {
	u := toUnstructured(o, true)
	var opts []typed.ValidationOptions
	if allowDuplicates {
		opts = append(opts, typed.AllowDuplicates)
	}
	return typed.AsTyped(value.NewValueInterface(u), m.schema, m.root, opts...)
}

// statusOnly is o with only the fields a status write may change.
func statusOnly(o Object) Object {
	s := Object{"apiVersion": o["apiVersion"], "kind": o["kind"]}
	if st, ok := o["status"]; ok {
		s["status"] = st
	}
	return s
}

// unvalidated converts an object to a typed value without walking it
// against the schema first: for Update, whose ToFieldSet and Compare walk
// it anyway and fail on what does not conform. The separate walk was a
// third of Update's cost (a pod's status write, profiled).
func (m *Manager) unvalidated(o Object) *typed.TypedValue {
	//nolint:staticcheck // deprecated for its cost, which is what it saves here
	return typed.AsTypedUnvalidated(value.NewValueInterface(toUnstructured(o, true)), m.schema, m.root)
}

// toUnstructured copies a decoded object with numbers as int64 or
// float64, as structured-merge-diff wants them; top drops
// metadata.managedFields.
func toUnstructured(v any, top bool) any {
	switch t := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, e := range t {
			if top && k == "metadata" {
				if meta, ok := e.(map[string]any); ok {
					mc := make(map[string]any, len(meta))
					for mk, me := range meta {
						if mk != "managedFields" {
							mc[mk] = toUnstructured(me, false)
						}
					}
					c[k] = mc
					continue
				}
			}
			c[k] = toUnstructured(e, false)
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = toUnstructured(e, false)
		}
		return c
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

// fromTyped converts a typed value back to a decoded object.
func fromTyped(tv *typed.TypedValue) (Object, error) {
	b, err := value.ToJSON(tv.AsValue())
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	o, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the applied object is not an object", ErrBadRequest)
	}
	return o, nil
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

func copyObject(o Object) Object {
	b, _ := json.Marshal(o)
	v, _ := decodeJSON(b)
	c, _ := v.(map[string]any)
	if c == nil {
		c = Object{}
	}
	return c
}

func metaOf(o Object) map[string]any {
	if o == nil {
		return map[string]any{}
	}
	m, ok := o["metadata"].(map[string]any)
	if !ok {
		m = map[string]any{}
		o["metadata"] = m
	}
	return m
}
