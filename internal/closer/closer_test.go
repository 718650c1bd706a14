package closer

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestCancelOnClose(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	body := CancelOnClose(io.NopCloser(strings.NewReader("body")), cancel)
	if b, err := io.ReadAll(body); err != nil || string(b) != "body" {
		t.Fatalf("read %q, %v", b, err)
	}
	if ctx.Err() != nil {
		t.Fatal("cancelled before Close")
	}
	if err := body.Close(); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Fatal("Close did not cancel")
	}
}
