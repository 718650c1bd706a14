package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// Directives of strategic merge patches.
const (
	directiveKey       = "$patch"
	retainKeysKey      = "$retainKeys"
	deleteFromListPfx  = "$deleteFromPrimitiveList/"
	setElementOrderPfx = "$setElementOrder/"
	directivePfx       = "$"

	directiveReplace = "replace"
	directiveDelete  = "delete"
	directiveMerge   = "merge"
)

// StrategicMerge applies a Kubernetes strategic merge patch to original,
// both JSON objects, and returns the result. schema is the Go type of the
// object (nil when unknown); the field of each JSON key is found by its
// json tag. Compared with a JSON merge patch:
//
//   - A list whose field is tagged patchStrategy:"merge" is merged: lists of
//     objects element by element, matched on the patchMergeKey field (an
//     element the original lacks is appended), lists of scalars as sets.
//     Any other list, and any value of a field tagged
//     patchStrategy:"replace", is replaced whole. Fields the schema does
//     not know are merged as by a JSON merge patch.
//   - In a map, "$patch": "replace" replaces the map by the rest of the
//     patch, "delete" empties it and "merge" is the default. In a merging
//     list, {"$patch": "delete", KEY: V} removes the element whose merge
//     key is V, and {"$patch": "replace"} makes the other elements the
//     whole list.
//   - "$retainKeys": [...] keeps only the listed keys of the original map;
//     a non-null patch key outside the list is ErrInvalid.
//   - "$deleteFromPrimitiveList/F": [...] removes those values from list F.
//   - "$setElementOrder/F": [...] orders merged list F as listed; elements
//     it does not name keep their place relative to the others' original
//     positions.
//
// A patch that is not a JSON object, a directive with a bad value and a
// merging-list element without its merge key are ErrMalformed.
func StrategicMerge(original, patch []byte, schema reflect.Type) ([]byte, error) {
	orig, err := decodeObject(original)
	if err != nil {
		return nil, fmt.Errorf("decode original: %w", err)
	}
	p, err := decodeObject(patch)
	if err != nil {
		return nil, fmt.Errorf("%w: the strategic merge patch must be a JSON object: %v", ErrMalformed, err)
	}
	out, err := mergeMap(orig, p, deref(schema), "")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encode patched object: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// decodeObject decodes one JSON object, keeping numbers exact.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("got null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the object")
	}
	return m, nil
}

func malformed(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, at(path, fmt.Sprintf(format, args...)))
}

func invalid(path, format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, at(path, fmt.Sprintf(format, args...)))
}

func at(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// isScalar reports whether v is a JSON scalar as decoded here; scalars are
// comparable, and so usable as map keys.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, json.Number:
		return true
	}
	return false
}

// mergeMap merges patch into orig (nil meaning empty) and returns the
// result. Both maps are modified. t is the type of the object or map.
func mergeMap(orig, patch map[string]any, t reflect.Type, path string) (map[string]any, error) {
	if d, ok := patch[directiveKey]; ok {
		delete(patch, directiveKey)
		switch d {
		case directiveReplace:
			return mergeMap(nil, patch, t, path)
		case directiveDelete:
			return map[string]any{}, nil
		case directiveMerge:
		default:
			return nil, malformed(path, "unknown $patch directive %v: want replace, delete or merge", d)
		}
	}
	if orig == nil {
		orig = map[string]any{}
	}
	if rk, ok := patch[retainKeysKey]; ok {
		delete(patch, retainKeysKey)
		if err := retainKeys(orig, patch, rk, path); err != nil {
			return nil, err
		}
	}

	// Directives first: deletions change the original before the merge,
	// orders apply after it to the merged lists.
	orders := map[string][]any{}
	server := map[string][]any{}
	for k, v := range patch {
		if !strings.HasPrefix(k, directivePfx) {
			continue
		}
		delete(patch, k)
		switch {
		case strings.HasPrefix(k, deleteFromListPfx):
			f := strings.TrimPrefix(k, deleteFromListPfx)
			del, ok := v.([]any)
			if !ok {
				return nil, malformed(path, "%s must be a list", k)
			}
			ol, _ := orig[f].([]any)
			kept, err := removeScalars(ol, del)
			if err != nil {
				return nil, malformed(path, "%s: %v", k, err)
			}
			if ol != nil {
				orig[f] = kept
			}
		case strings.HasPrefix(k, setElementOrderPfx):
			f := strings.TrimPrefix(k, setElementOrderPfx)
			order, ok := v.([]any)
			if !ok {
				return nil, malformed(path, "%s must be a list", k)
			}
			orders[f] = order
			server[f], _ = orig[f].([]any)
		default:
			return nil, malformed(path, "unknown directive %q", k)
		}
	}

	for k, v := range patch {
		if v == nil {
			delete(orig, k)
			continue
		}
		merged, err := mergeValue(orig[k], v, lookup(t, k), child(path, k))
		if err != nil {
			return nil, err
		}
		orig[k] = merged
	}

	for f, order := range orders {
		fm := lookup(t, f)
		list, ok := orig[f].([]any)
		if !ok || !fm.merge || fm.replace {
			// Nothing to order, or a replaced list: the patch holds it in order.
			continue
		}
		ordered, err := applyOrder(list, order, server[f], fm.mergeKey)
		if err != nil {
			return nil, malformed(path, "%s%s: %v", setElementOrderPfx, f, err)
		}
		orig[f] = ordered
	}
	return orig, nil
}

// retainKeys applies "$retainKeys": rk to orig, after checking that patch
// sets no key outside it.
func retainKeys(orig, patch map[string]any, rk any, path string) error {
	list, ok := rk.([]any)
	if !ok {
		return malformed(path, "$retainKeys must be a list of strings")
	}
	keep := make(map[string]bool, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			return malformed(path, "$retainKeys must be a list of strings")
		}
		keep[s] = true
	}
	for k, v := range patch {
		if v != nil && !strings.HasPrefix(k, directivePfx) && !keep[k] {
			return invalid(path, "the patch sets %q, which is not in $retainKeys", k)
		}
	}
	for k := range orig {
		if !keep[k] {
			delete(orig, k)
		}
	}
	return nil
}

// mergeValue merges the non-null patch value p into cur, the original's
// value (nil when absent), for a field described by fm.
func mergeValue(cur, p any, fm fieldMeta, path string) (any, error) {
	switch pv := p.(type) {
	case map[string]any:
		om, _ := cur.(map[string]any)
		if fm.replace {
			om = nil
		}
		return mergeMap(om, pv, fm.typ, path)
	case []any:
		if !fm.merge || fm.replace {
			return pv, nil
		}
		ol, _ := cur.([]any)
		return mergeList(ol, pv, fm, path)
	}
	return p, nil
}

// mergeList merges a patch list into a list with merge strategy.
func mergeList(orig, patch []any, fm fieldMeta, path string) ([]any, error) {
	if orig == nil {
		orig = []any{}
	}
	var maps, scalars int
	for i, e := range patch {
		switch {
		case isScalar(e):
			scalars++
		case isMap(e):
			maps++
		default:
			return nil, malformed(fmt.Sprintf("%s[%d]", path, i), "lists of lists cannot be merged")
		}
	}
	switch {
	case maps > 0 && scalars > 0:
		return nil, malformed(path, "the list mixes objects and scalars")
	case maps == 0:
		return unionScalars(orig, patch), nil
	case fm.mergeKey == "":
		return nil, invalid(path, "the list has merge strategy but no patchMergeKey")
	}
	key := fm.mergeKey

	result := slices.Clone(orig)
	var items []map[string]any
	replace := false
	for i, e := range patch {
		m := e.(map[string]any)
		d, special := m[directiveKey]
		if !special {
			if kv, ok := m[key]; !ok || !isScalar(kv) {
				return nil, malformed(fmt.Sprintf("%s[%d]", path, i), "the element has no merge key %q", key)
			}
			items = append(items, m)
			continue
		}
		switch d {
		case directiveDelete:
			kv, ok := m[key]
			if !ok || !isScalar(kv) {
				return nil, malformed(fmt.Sprintf("%s[%d]", path, i), "$patch: delete needs the merge key %q", key)
			}
			result = slices.DeleteFunc(result, func(o any) bool { return keyEquals(o, key, kv) })
		case directiveReplace:
			replace = true
		case directiveMerge:
			delete(m, directiveKey)
			if len(m) > 0 {
				if kv, ok := m[key]; !ok || !isScalar(kv) {
					return nil, malformed(fmt.Sprintf("%s[%d]", path, i), "the element has no merge key %q", key)
				}
				items = append(items, m)
			}
		default:
			return nil, malformed(fmt.Sprintf("%s[%d]", path, i), "unknown $patch directive %v: want replace, delete or merge", d)
		}
	}
	if replace {
		result = []any{}
	}

	et := elem(fm.typ)
	for _, m := range items {
		kv := m[key]
		epath := fmt.Sprintf("%s[%s=%s]", path, key, scalarString(kv))
		idx := slices.IndexFunc(result, func(o any) bool { return keyEquals(o, key, kv) })
		if idx < 0 {
			merged, err := mergeMap(nil, m, et, epath)
			if err != nil {
				return nil, err
			}
			result = append(result, merged)
			continue
		}
		merged, err := mergeMap(result[idx].(map[string]any), m, et, epath)
		if err != nil {
			return nil, err
		}
		result[idx] = merged
	}
	return result, nil
}

func isMap(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// keyEquals reports whether o is an object whose key field equals the
// scalar kv.
func keyEquals(o any, key string, kv any) bool {
	m, ok := o.(map[string]any)
	return ok && m[key] == kv
}

func scalarString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// unionScalars appends to orig the scalars of patch it lacks, dropping
// duplicates and keeping first occurrences in order.
func unionScalars(orig, patch []any) []any {
	seen := map[any]bool{}
	out := make([]any, 0, len(orig)+len(patch))
	for _, v := range slices.Concat(orig, patch) {
		if isScalar(v) {
			if seen[v] {
				continue
			}
			seen[v] = true
		}
		out = append(out, v)
	}
	return out
}

// removeScalars returns list without the values of del, which must be
// scalars.
func removeScalars(list, del []any) ([]any, error) {
	drop := map[any]bool{}
	for _, v := range del {
		if !isScalar(v) {
			return nil, errors.New("only scalars can be deleted from a primitive list")
		}
		drop[v] = true
	}
	return slices.DeleteFunc(slices.Clone(list), func(v any) bool { return isScalar(v) && drop[v] }), nil
}

// applyOrder reorders the merged list as order says (merge-key objects, or
// the scalars themselves). Elements order does not name are merged in the
// way Kubernetes does: one goes before the next named element only if both
// were in the server's list and it came first there.
func applyOrder(list, order, server []any, mergeKey string) ([]any, error) {
	keyOf := func(v any) (any, bool) {
		if mergeKey == "" {
			return v, isScalar(v)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		k, ok := m[mergeKey]
		return k, ok && isScalar(k)
	}
	pos := map[any]int{}
	for i, o := range order {
		k, ok := keyOf(o)
		if !ok {
			if mergeKey != "" {
				return nil, fmt.Errorf("element %d has no merge key %q", i, mergeKey)
			}
			return nil, fmt.Errorf("element %d is not a scalar", i)
		}
		if _, dup := pos[k]; !dup {
			pos[k] = i
		}
	}
	serverPos := map[any]int{}
	for i, s := range server {
		if k, ok := keyOf(s); ok {
			if _, dup := serverPos[k]; !dup {
				serverPos[k] = i
			}
		}
	}
	var named, others []any
	for _, e := range list {
		if k, ok := keyOf(e); ok {
			if _, in := pos[k]; in {
				named = append(named, e)
				continue
			}
		}
		others = append(others, e)
	}
	slices.SortStableFunc(named, func(a, b any) int {
		ka, _ := keyOf(a)
		kb, _ := keyOf(b)
		return pos[ka] - pos[kb]
	})
	// others are already in server order: merging keeps the original
	// positions and appends what is new.
	otherFirst := func(o, n any) bool {
		ko, ok1 := keyOf(o)
		kn, ok2 := keyOf(n)
		if !ok1 || !ok2 {
			return false
		}
		so, in1 := serverPos[ko]
		sn, in2 := serverPos[kn]
		return in1 && in2 && so < sn
	}
	out := make([]any, 0, len(list))
	i, j := 0, 0
	for i < len(others) || j < len(named) {
		if j == len(named) || (i < len(others) && otherFirst(others[i], named[j])) {
			out = append(out, others[i])
			i++
		} else {
			out = append(out, named[j])
			j++
		}
	}
	return out, nil
}
