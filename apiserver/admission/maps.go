package admission

// child returns m[key] if it is an object, else nil.
func child(m map[string]any, key string) map[string]any {
	c, _ := m[key].(map[string]any)
	return c
}

// ensure returns m[key], creating an empty object when it is absent or
// null; nil when m is nil or m[key] is something else.
func ensure(m map[string]any, key string) map[string]any {
	if m == nil {
		return nil
	}
	if v, ok := m[key]; !ok || v == nil {
		c := map[string]any{}
		m[key] = c
		return c
	}
	return child(m, key)
}

// objects returns the elements of the list m[key] that are objects.
func objects(m map[string]any, key string) []map[string]any {
	l, _ := m[key].([]any)
	var out []map[string]any
	for _, v := range l {
		if o, ok := v.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

// str returns m[key] if it is a string.
func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// isPod reports whether a is a write of a pod itself (not a subresource).
func isPod(a *Attributes) bool { return a.Resource == "pods" && a.Subresource == "" }
