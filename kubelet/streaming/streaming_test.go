package streaming

import (
	"net/http/httptest"
	"testing"
)

func TestOptionsFrom(t *testing.T) {
	tests := []struct {
		name, query string
		want        Options
		wantErr     bool
	}{
		{"stdout and stderr", "stdout=true&stderr=true", Options{Stdout: true, Stderr: true}, false},
		{"tty merges stderr", "stdin=1&stdout=1&stderr=1&tty=1", Options{Stdin: true, Stdout: true, TTY: true}, false},
		{"no stream", "tty=true", Options{TTY: true}, true},
		{"not a bool", "stdin=yes", Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OptionsFrom(httptest.NewRequest("GET", "/exec/ns/p/c?command=sh&"+tt.query, nil))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("OptionsFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestHeaderValues(t *testing.T) {
	h := map[string][]string{"X-Stream-Protocol-Version": {"v5.channel.k8s.io", "v4.channel.k8s.io, v3.channel.k8s.io"}}
	got := headerValues(h, "X-Stream-Protocol-Version")
	want := []string{"v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"}
	if len(got) != len(want) {
		t.Fatalf("headerValues = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("headerValues = %v, want %v", got, want)
		}
	}
}
