package redisbus

import (
	"reflect"
	"testing"

	"github.com/minik8s/minik8s/store"
)

func TestCodecRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		changes []store.Change
	}{
		{name: "one namespaced", changes: []store.Change{{Revision: 3, Type: store.Added, Record: store.Record{
			Key: store.Key{Resource: "pods", Namespace: "default", Name: "p"}, UID: "u", ResourceVersion: 3,
			Value: []byte(`{"kind":"Pod"}`),
		}}}},
		{name: "cluster scoped without uid or value", changes: []store.Change{{Revision: 9, Type: store.Deleted, Record: store.Record{
			Key: store.Key{Resource: "nodes", Name: "n"}, ResourceVersion: 9,
		}}}},
		{name: "binary value and odd names", changes: []store.Change{{Revision: 1 << 40, Type: store.Modified, Record: store.Record{
			Key: store.Key{Resource: "deployments.apps", Namespace: "ns\"q", Name: "é/\n"}, UID: "u", ResourceVersion: 1 << 40,
			Value: []byte{0, 0xff, '"', '\\'},
		}}}},
		{name: "batch", changes: []store.Change{
			{Revision: 4, Type: store.Added, Record: store.Record{Key: store.Key{Resource: "a", Name: "x"}, ResourceVersion: 4, Value: []byte("1")}},
			{Revision: 5, Type: store.Modified, Record: store.Record{Key: store.Key{Resource: "a", Name: "x"}, ResourceVersion: 5, Value: []byte("2")}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := encode(nil, tt.changes)
			got, err := decode(payload)
			if err != nil {
				t.Fatalf("decode %s: %v", payload, err)
			}
			if !reflect.DeepEqual(got, tt.changes) {
				t.Fatalf("round trip of %s:\n got %+v\nwant %+v", payload, got, tt.changes)
			}
		})
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for _, payload := range []string{"", "{", `{"rev":1}`, `[{"rev":"x"}]`,
		"\x0a\x05\x08\x01\x12\x01A", // a change without resource or name
		"\x0a\x10\x08\x01",          // a change cut short
	} {
		if _, err := decode([]byte(payload)); err == nil {
			t.Errorf("decode(%q) succeeded", payload)
		}
	}
}

// FuzzDecode: no message makes decode panic, and whatever it accepts
// encodes back to changes it decodes the same.
func FuzzDecode(f *testing.F) {
	f.Add(encode(nil, []store.Change{{Revision: 3, Type: store.Added, Record: store.Record{
		Key: store.Key{Resource: "pods", Namespace: "default", Name: "p"}, UID: "u", ResourceVersion: 3, Value: []byte(`{}`),
	}}}))
	f.Add([]byte("[]"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		changes, err := decode(payload)
		if err != nil {
			return
		}
		again, err := decode(encode(nil, changes))
		if err != nil || !reflect.DeepEqual(again, changes) {
			t.Fatalf("re-decoded %+v, %v; want %+v", again, err, changes)
		}
	})
}
