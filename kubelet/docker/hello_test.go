package docker

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHelloExit(t *testing.T) {
	tests := []struct {
		after, code string
		wantAfter   time.Duration
		wantCode    int
		wantErr     bool
	}{
		{"", "", 0, 0, false},
		{"", "3", 0, 0, false}, // EXIT_CODE alone does nothing
		{"2s", "", 2 * time.Second, 1, false},
		{"100ms", "7", 100 * time.Millisecond, 7, false},
		{"1s", "0", time.Second, 0, false},
		{"soon", "", 0, 0, true},
		{"-1s", "", 0, 0, true},
		{"1s", "one", 0, 0, true},
		{"1s", "256", 0, 0, true},
	}
	for _, tt := range tests {
		after, code, err := helloExit(tt.after, tt.code)
		if after != tt.wantAfter || code != tt.wantCode || (err != nil) != tt.wantErr {
			t.Errorf("helloExit(%q, %q) = %s, %d, %v; want %s, %d, error %v",
				tt.after, tt.code, after, code, err, tt.wantAfter, tt.wantCode, tt.wantErr)
		}
	}
}

// Hello with EXIT_AFTER stops by itself with EXIT_CODE: the crashing pod
// of examples/ runs the demo image this way.
func TestHelloExitsWithCode(t *testing.T) {
	t.Setenv("PORT", "0")
	t.Setenv("EXIT_AFTER", "50ms")
	t.Setenv("EXIT_CODE", "3")
	done := make(chan error, 1)
	go func() { done <- Hello() }()
	select {
	case err := <-done:
		var code ExitCode
		if !errors.As(err, &code) || code != 3 {
			t.Errorf("Hello = %v, want ExitCode 3", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Hello did not exit within 10s of EXIT_AFTER=50ms")
	}
}

func TestImageOlderThan(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "minik8s")
	if err := os.WriteFile(exe, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	built := time.Now().Add(-time.Hour)
	if err := os.Chtimes(exe, built, built); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		created string
		want    bool
	}{
		{built.Add(-time.Minute).Format(time.RFC3339Nano), true}, // built before the executable: stale
		{built.Add(time.Minute).Format(time.RFC3339Nano), false},
		{"", false},
		{"yesterday", false},
	}
	for _, tt := range tests {
		if got := imageOlderThan(tt.created, exe); got != tt.want {
			t.Errorf("imageOlderThan(%q) = %v, want %v", tt.created, got, tt.want)
		}
	}
	if imageOlderThan(built.Format(time.RFC3339Nano), filepath.Join(t.TempDir(), "absent")) {
		t.Error("an absent executable counts as newer")
	}
}
