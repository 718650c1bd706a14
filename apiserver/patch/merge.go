package patch

// MergeInto applies the JSON merge patch p (RFC 7386), already decoded, to
// the decoded object doc in place, with exactly the result Apply gives for
// MergePatchType on their encodings: a null removes a key, an object
// merges into an object, anything else replaces, and nulls inside a value
// that is set where there was no object are dropped.
//
// It saves the API server from encoding the current object and decoding
// the result on every merge patch (what kubelets send for pod status).
// doc takes values of p by reference, and p is modified: the caller must
// own both and not use p afterwards.
func MergeInto(doc, p map[string]any) {
	for k, v := range p {
		if v == nil {
			delete(doc, k)
			continue
		}
		cur, ok := doc[k]
		if !ok || cur == nil {
			doc[k] = pruneNulls(v)
			continue
		}
		doc[k] = mergePatchValue(cur, v)
	}
}

// mergePatchValue merges patch value v into the current value cur.
func mergePatchValue(cur, v any) any {
	curObj, ok := cur.(map[string]any)
	if !ok {
		return pruneNulls(v)
	}
	vObj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	MergeInto(curObj, vObj)
	return curObj
}

// pruneNulls drops the null members of objects in v, at every depth; null
// elements of lists stay.
func pruneNulls(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
			} else {
				pruneNulls(e)
			}
		}
	case []any:
		for _, e := range t {
			if e != nil {
				pruneNulls(e)
			}
		}
	}
	return v
}
