package labels

import (
	"sort"
	"strings"
)

// Labels is a set of labels. A map[string]string can be passed wherever
// Labels is expected.
type Labels map[string]string

// Has reports whether the key is present.
func (l Labels) Has(key string) bool {
	_, ok := l[key]
	return ok
}

// Get returns the key's value, "" when absent.
func (l Labels) Get(key string) string { return l[key] }

// String renders the labels as "k1=v1,k2=v2" sorted by key; "" when empty.
func (l Labels) String() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(l[k])
	}
	return b.String()
}

// FormatLabels renders labels as kubectl prints them: "k1=v1,k2=v2" sorted
// by key, or "<none>" when there are none.
func FormatLabels(l map[string]string) string {
	if len(l) == 0 {
		return "<none>"
	}
	return Labels(l).String()
}
