package apiserver

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"
)

// encodingJSON is what appendJSON must match: encoding/json without HTML
// escaping, without the trailing newline.
func encodingJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func checkAppendJSON(t *testing.T, v any) {
	t.Helper()
	want, wantErr := encodingJSON(v)
	got, err := appendJSON(nil, v)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("appendJSON(%#v) = %q, %v; encoding/json gives %q, %v", v, got, err, want, wantErr)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	var nilMap map[string]any
	var nilSlice []any
	for _, v := range []any{
		nil, true, false, "", "plain", `q"uote\back`, "ctl\x00\x01\x1f\b\f\n\r\t", "<html>&</html>",
		"é ü 日本", "\u2028\u2029", "bad\xffutf8\xc3", "\x7f", string([]byte{0xed, 0xa0, 0x80}),
		json.Number("0"), json.Number("-12.5e+3"), json.Number(""), json.Number("01"), json.Number("1."), json.Number("x"),
		json.Number("1e"), json.Number("-"), json.Number("1E-0"),
		0, -7, int32(42), int64(math.MaxInt64), 1.5, 1e21, 3.0, math.NaN(),
		nilMap, nilSlice, map[string]any{}, []any{},
		map[string]any{"b": 1, "a": []any{"x", nil, map[string]any{"z": json.Number("2"), "y": "\u2028"}}, "\x00k": true, "é": "v"},
		map[string]any{"s": []string{"a<b"}, "m": map[string]string{"k": "v"}, "n": []any{map[string]any{"q": 1.25}}},
		map[string]any{"bad": json.Number("nope")},
	} {
		checkAppendJSON(t, v)
	}
}

func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[true,null,"x\u2028"],"c":{"d":-1.5e3}}`, `[]`, `"\ud800"`, `{"":{"":[]}}`} {
		f.Add([]byte(s), "str\xff")
	}
	f.Fuzz(func(t *testing.T, doc []byte, s string) {
		d := json.NewDecoder(bytes.NewReader(doc))
		d.UseNumber()
		var v any
		if d.Decode(&v) == nil {
			checkAppendJSON(t, v)
			checkAppendJSON(t, map[string]any{s: v, "k": s})
		}
		checkAppendJSON(t, s)
		checkAppendJSON(t, json.Number(s))
	})
}

// checkDecodeStored: on what encodeStored writes, decodeStored gives
// what decodeObject does, with the resourceVersion set.
func checkDecodeStored(t *testing.T, o object) {
	t.Helper()
	b, err := encodeStored(o)
	if err != nil {
		return
	}
	want, err := decodeObject(b)
	if err != nil {
		t.Fatalf("decodeObject(%q): %v", b, err)
	}
	metaOf(want)["resourceVersion"] = "7"
	got, err := decodeStored(b, 7)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("decodeStored(%q) = %#v, %v; decodeObject gives %#v", b, got, err, want)
	}
}

func TestDecodeStoredMatchesDecodeObject(t *testing.T) {
	t.Parallel()
	pod, err := os.ReadFile("../api/testdata/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	o, err := decodeObject(pod)
	if err != nil {
		t.Fatal(err)
	}
	checkDecodeStored(t, o)
	checkDecodeStored(t, object{"metadata": map[string]any{"name": "n\u2028é\x00"}, "n": []any{json.Number("-12.5e+3"), json.Number("0"),
		json.Number("123456789012345678901234567890"), nil, true, "bad\xffutf8", map[string]any{"": []any{}}}})
	if _, err := decodeStored([]byte(`[1]`), 1); err == nil {
		t.Error("decodeStored accepted an array")
	}
	if _, err := decodeStored([]byte(`null`), 1); err == nil {
		t.Error("decodeStored accepted null")
	}
}

func FuzzDecodeStored(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[true,null,"x\u2028"],"c":{"d":-1.5e3},"metadata":{"name":"x"}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		if o, err := decodeObject(doc); err == nil {
			checkDecodeStored(t, o)
		}
		_, _ = decodeStored(doc, 1) // never panics
	})
}

func BenchmarkDecodeStored(b *testing.B) {
	pod, err := os.ReadFile("../api/testdata/pod.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		decode func([]byte, int64) (object, error)
	}{{"whole", decodeStored}, {"opaque-managedFields", decodeStoredOpaqueFields}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.decode(pod, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeStoredOpaqueFields: managedFields stay the stored JSON, and the
// object encodes back to exactly what the full decode gives.
func TestDecodeStoredOpaqueFields(t *testing.T) {
	t.Parallel()
	pod, err := os.ReadFile("../api/testdata/pod.json")
	if err != nil {
		t.Fatal(err)
	}
	full, err := decodeStored(pod, 7)
	if err != nil {
		t.Fatal(err)
	}
	lean, err := decodeStoredOpaqueFields(pod, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := metaOf(lean)["managedFields"].(json.RawMessage); !ok {
		t.Fatalf("managedFields decoded: %T", metaOf(lean)["managedFields"])
	}
	if nestedString(lean, "metadata", "resourceVersion") != "7" || nestedString(lean, "spec", "nodeName") != nestedString(full, "spec", "nodeName") {
		t.Fatal("the rest of the object is not decoded as decodeStored decodes it")
	}
	want, err := encodeStored(full)
	if err != nil {
		t.Fatal(err)
	}
	got, err := encodeStored(lean)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded back:\n%s\nwant\n%s", got, want)
	}
	for _, b := range []string{`{"metadata":{"name":"a"}}`, `{"metadata":{"managedFields":null}}`, `{"metadata":{"managedFields":[]},"x":1}`} {
		o, err := decodeStoredOpaqueFields([]byte(b), 1)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if _, err := encodeStored(o); err != nil {
			t.Fatalf("%s: encode: %v", b, err)
		}
	}
	if _, err := decodeStoredOpaqueFields([]byte(`{"metadata":{"managedFields":[`), 1); err == nil {
		t.Fatal("truncated JSON decoded")
	}
}
