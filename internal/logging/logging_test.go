package logging

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rs/zerolog"
)

func TestErrorLog(t *testing.T) {
	tests := []struct {
		line, level string
	}{
		{"http: TLS handshake error from 127.0.0.1:5000: EOF", "debug"},
		{"http: read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer", "debug"},
		{"http: panic serving 127.0.0.1:5000: boom", "error"},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			ErrorLog(zerolog.New(&buf).Level(zerolog.TraceLevel)).Print(tt.line)
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%q: %v", buf.String(), err)
			}
			if got["level"] != tt.level || got["message"] != tt.line {
				t.Errorf("logged %v, want level %s, message %q", got, tt.level, tt.line)
			}
		})
	}
}
