// Package logging holds what every server shares about zerolog: the
// adapter that gives net/http's servers (their ErrorLog) a zerolog
// logger instead of the standard library's default, which writes to
// stderr bypassing the program's log format and level.
package logging

import (
	"bytes"
	"log"
	"strings"

	"github.com/rs/zerolog"
)

// ErrorLog returns a standard logger for http.Server.ErrorLog (and
// similar) that writes each line to l: TLS handshake failures, which any
// port scan or a plain-HTTP client causes, at Debug, everything else
// (a panicking handler, accept errors) at Error. A reset connection is the
// client's doing and goes to Debug too.
func ErrorLog(l zerolog.Logger) *log.Logger {
	return log.New(writer{l}, "", 0)
}

type writer struct{ l zerolog.Logger }

func (w writer) Write(p []byte) (int, error) {
	msg := string(bytes.TrimRight(p, "\n"))
	ev := w.l.Error()
	if strings.Contains(msg, "TLS handshake error") || strings.Contains(msg, "connection reset by peer") {
		ev = w.l.Debug()
	}
	ev.Str("source", "net/http").Msg(msg)
	return len(p), nil
}
