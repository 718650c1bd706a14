package apiserver

import (
	"bytes"
	"encoding/json"
	"math"
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
