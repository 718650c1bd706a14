package api

import (
	"encoding/json"
	"testing"
)

func TestIntOrStringScaledValue(t *testing.T) {
	tests := []struct {
		v       IntOrString
		total   int
		roundUp bool
		want    int
		wantErr bool
	}{
		{FromInt(3), 10, false, 3, false},
		{FromString("25%"), 10, false, 2, false},
		{FromString("25%"), 10, true, 3, false},
		{FromString("100%"), 7, false, 7, false},
		{FromString("0%"), 7, true, 0, false},
		{FromString("50%"), 0, true, 0, false},
		{FromString("5"), 10, false, 0, true},
		{FromString("x%"), 10, false, 0, true},
	}
	for _, tt := range tests {
		got, err := tt.v.ScaledValue(tt.total, tt.roundUp)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%v.ScaledValue(%d, %v) = %d, %v; want %d, error %v", tt.v, tt.total, tt.roundUp, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestIntOrStringJSON(t *testing.T) {
	tests := []struct {
		json string
		v    IntOrString
	}{
		{`8080`, FromInt(8080)},
		{`"http"`, FromString("http")},
		{`"25%"`, FromString("25%")},
		{`0`, FromInt(0)},
	}
	for _, tt := range tests {
		var got IntOrString
		if err := json.Unmarshal([]byte(tt.json), &got); err != nil || got != tt.v {
			t.Errorf("unmarshal %s = %#v, %v; want %#v", tt.json, got, err, tt.v)
		}
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.json {
			t.Errorf("marshal %#v = %s, %v; want %s", tt.v, b, err, tt.json)
		}
	}
	var v IntOrString
	for _, bad := range []string{`1.5`, `true`, `{}`, `4294967296`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("unmarshal %s: no error", bad)
		}
	}
	if FromInt(1<<40).IntVal != 1<<31-1 {
		t.Error("FromInt does not clamp")
	}
}
