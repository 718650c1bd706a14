package registry

// The cells of the columns follow kubectl's own printers (Kubernetes'
// pkg/printers/internalversion) and read the decoded JSON object, in which
// numbers may be json.Number or float64. The helpers here are shared by
// the kinds' files; each kind's columns are in its own file.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The wide columns of workloads with a pod template.
var (
	containersColumn = Column{
		Name: "Containers", Type: "string", Priority: 1, Description: "Names of each container in the template.",
		Cell: func(o map[string]any, _ time.Time) any { return templateContainers(o, "name") },
	}
	imagesColumn = Column{
		Name: "Images", Type: "string", Priority: 1, Description: "Images referenced by each container in the template.",
		Cell: func(o map[string]any, _ time.Time) any { return templateContainers(o, "image") },
	}
	selectorColumn = Column{
		Name: "Selector", Type: "string", Priority: 1, Description: "Label selector for the pods.",
		Cell: func(o map[string]any, _ time.Time) any { return selectorString(mapAt(o, "spec", "selector")) },
	}
)

// value walks path through nested maps; nil if any step is missing.
func value(obj map[string]any, path ...string) any {
	var v any = obj
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// str is the string at path, or "".
func str(obj map[string]any, path ...string) string {
	s, _ := value(obj, path...).(string)
	return s
}

// mapAt is the object at path, or nil.
func mapAt(obj map[string]any, path ...string) map[string]any {
	m, _ := value(obj, path...).(map[string]any)
	return m
}

// list is the array at path, or nil.
func list(obj map[string]any, path ...string) []any {
	l, _ := value(obj, path...).([]any)
	return l
}

// num is the integer at path, or 0. Decoded JSON holds numbers as
// json.Number or float64 (or Go integers when built in code).
func num(obj map[string]any, path ...string) int64 {
	n, _ := toInt(value(obj, path...))
	return n
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		return int64(f), err == nil
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// replicas is spec.replicas, which defaults to 1.
func replicas(o map[string]any) int64 {
	if n, ok := toInt(value(o, "spec", "replicas")); ok {
		return n
	}
	return 1
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// parseTime reads an RFC 3339 timestamp (with or without fractional
// seconds); the zero time if s is not one.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// since is the age of timestamp ts at now, as kubectl prints it, or
// "<unknown>" when ts is missing.
func since(ts string, now time.Time) string {
	t := parseTime(ts)
	if t.IsZero() {
		return "<unknown>"
	}
	return HumanDuration(now.Sub(t))
}

// HumanDuration renders d with two or three significant figures, the way
// kubectl prints ages: "45s", "3m2s", "15m", "4h", "5h30m", "2d", "3d4h",
// "2y". Durations slightly below zero (clock skew) are "0s"; more than a
// second below is "<invalid>".
func HumanDuration(d time.Duration) string {
	if seconds := int(d.Seconds()); seconds < -1 {
		return "<invalid>"
	} else if seconds < 0 {
		return "0s"
	} else if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int(d / time.Minute)
	if minutes < 10 {
		if s := int(d/time.Second) % 60; s != 0 {
			return fmt.Sprintf("%dm%ds", minutes, s)
		}
		return fmt.Sprintf("%dm", minutes)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int(d / time.Hour)
	switch {
	case hours < 8:
		if m := minutes % 60; m != 0 {
			return fmt.Sprintf("%dh%dm", hours, m)
		}
		return fmt.Sprintf("%dh", hours)
	case hours < 48:
		return fmt.Sprintf("%dh", hours)
	case hours < 24*8:
		if h := hours % 24; h != 0 {
			return fmt.Sprintf("%dd%dh", hours/24, h)
		}
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*2:
		return fmt.Sprintf("%dd", hours/24)
	case hours < 24*365*8:
		if dy := (hours / 24) % 365; dy != 0 {
			return fmt.Sprintf("%dy%dd", hours/24/365, dy)
		}
		return fmt.Sprintf("%dy", hours/24/365)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

// templateContainers joins field (name or image) of the pod template's
// containers with commas.
func templateContainers(o map[string]any, field string) string {
	var out []string
	for _, c := range list(o, "spec", "template", "spec", "containers") {
		c, _ := c.(map[string]any)
		out = append(out, str(c, field))
	}
	return strings.Join(out, ",")
}

// selectorString renders a label selector as kubectl does: "a=b,c in
// (d,e),!f", requirements sorted by key.
func selectorString(sel map[string]any) string {
	type req struct{ key, text string }
	var reqs []req
	for k, v := range mapAt(sel, "matchLabels") {
		v, _ := v.(string)
		reqs = append(reqs, req{k, k + "=" + v})
	}
	for _, e := range list(sel, "matchExpressions") {
		e, _ := e.(map[string]any)
		key := str(e, "key")
		var vals []string
		for _, v := range list(e, "values") {
			s, _ := v.(string)
			vals = append(vals, s)
		}
		sort.Strings(vals)
		text := key
		switch str(e, "operator") {
		case "In":
			text = key + " in (" + strings.Join(vals, ",") + ")"
		case "NotIn":
			text = key + " notin (" + strings.Join(vals, ",") + ")"
		case "DoesNotExist":
			text = "!" + key
		}
		reqs = append(reqs, req{key, text})
	}
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].key < reqs[j].key })
	texts := make([]string, len(reqs))
	for i, r := range reqs {
		texts[i] = r.text
	}
	return strings.Join(texts, ",")
}
