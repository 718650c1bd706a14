package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestReservedConnsServePriorityReads: with every connection ordinary
// reads may use taken, an ordinary read waits while a read WithPriority
// (the control plane's) goes through on the reserved connection.
func TestReservedConnsServePriorityReads(t *testing.T) {
	s, err := Open(context.Background(), Config{DSN: filepath.Join(t.TempDir(), "db"), MaxOpenConns: 4, ReservedConns: 1}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Three ordinary reads in flight (here: holding their slots).
	for range 3 {
		release, err := s.readSlot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := s.Revision(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a fourth ordinary read did not wait for a slot: %v", err)
	}
	pctx, pcancel := context.WithTimeout(WithPriority(context.Background()), 10*time.Second)
	defer pcancel()
	if _, err := s.Revision(pctx); err != nil {
		t.Fatalf("a priority read was starved: %v", err)
	}
	if _, _, err := s.List(pctx, Prefix{Resource: "pods"}, ListOptions{}); err != nil {
		t.Fatalf("a priority list was starved: %v", err)
	}
}

func TestReservedConnsDefaults(t *testing.T) {
	tests := []struct {
		kind           string
		open, reserved int
		want           int
		wantErr        bool
	}{
		{"sqlite", 0, 0, 1, false},
		{"postgres", 0, 0, 4, false},
		{"sqlite", 1, 0, 0, false},
		{"sqlite", 4, 4, 0, true},
		{"sqlite", 4, -1, 0, true},
	}
	for _, tt := range tests {
		c, err := Config{MaxOpenConns: tt.open, ReservedConns: tt.reserved}.withDefaults(tt.kind)
		if (err != nil) != tt.wantErr || (!tt.wantErr && c.ReservedConns != tt.want) {
			t.Errorf("%s open %d reserved %d: got %d %v, want %d (error %v)", tt.kind, tt.open, tt.reserved, c.ReservedConns, err, tt.want, tt.wantErr)
		}
	}
}
