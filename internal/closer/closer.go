// Package closer runs a function when a response body is closed: the
// cancel of a context a request was sent with, which must outlive
// RoundTrip (the body is read after it returns) but no longer than the
// body.
package closer

import (
	"context"
	"io"
)

// CancelOnClose returns body, whose Close also calls cancel.
func CancelOnClose(body io.ReadCloser, cancel context.CancelFunc) io.ReadCloser {
	return cancelOnClose{body, cancel}
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
