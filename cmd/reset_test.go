package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reset removes only a directory that is a minik8s data dir; the Docker
// side is tested end to end (e2e/reset_test.go).
func TestResetDataDir(t *testing.T) {
	tmp := t.TempDir()
	notData := filepath.Join(tmp, "photos")
	data := filepath.Join(tmp, "data")
	for _, d := range []string{notData, data} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(notData, "cat.jpg"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "tokens.csv"), []byte("t,admin,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		dir     string
		wantErr string // "" for success
		wantOut string
		gone    bool
	}{
		{"missing", filepath.Join(tmp, "missing"), "", "nothing to reset", false},
		{"not a data dir", notData, "is not a minik8s data dir", "", false},
		{"data dir without a CA", data, "", "removed data dir " + data, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := App()
			var out bytes.Buffer
			a.Writer = &out
			err := a.Run([]string{"minik8s", "reset", "--data-dir", tt.dir})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), tt.wantOut)
			}
			if _, err := os.Stat(tt.dir); os.IsNotExist(err) != (tt.gone || tt.name == "missing") {
				t.Errorf("dir exists after reset: %v", err == nil)
			}
		})
	}
}
