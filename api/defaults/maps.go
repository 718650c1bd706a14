package defaults

import (
	"encoding/json"
	"strconv"

	"github.com/minik8s/minik8s/api"
)

// child returns m[key] if it is an object, else nil.
func child(m map[string]any, key string) map[string]any {
	c, _ := m[key].(map[string]any)
	return c
}

// ensure returns m[key], creating an empty object when it is absent or
// null; nil when m is nil or m[key] is not an object.
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

// setIfAbsent sets m[key] when it is absent or null (a pointer field).
func setIfAbsent(m map[string]any, key string, v any) {
	if m == nil {
		return
	}
	if cur, ok := m[key]; !ok || cur == nil {
		m[key] = v
	}
}

// setIfZero sets m[key] when it is absent, null, "" or 0 (a non-pointer
// field, whose zero value Kubernetes cannot tell from absence).
func setIfZero(m map[string]any, key string, v any) {
	if m == nil {
		return
	}
	switch cur := m[key].(type) {
	case nil:
		m[key] = v
	case string:
		if cur == "" {
			m[key] = v
		}
	default:
		if n, ok := number(cur); ok && n == 0 {
			m[key] = v
		}
	}
}

// number returns a JSON number as a float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

// num is the JSON number n.
func num(n int64) json.Number { return json.Number(strconv.FormatInt(n, 10)) }

// quantity parses a quantity given as a JSON string or number.
func quantity(v any) (api.Quantity, bool) {
	var s string
	switch q := v.(type) {
	case string:
		s = q
	case json.Number:
		s = q.String()
	case float64:
		s = strconv.FormatFloat(q, 'f', -1, 64)
	default:
		return api.Quantity{}, false
	}
	p, err := api.ParseQuantity(s)
	return p, err == nil
}
