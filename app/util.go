package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// redact hides the password of a URL for logs and messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// describeStore names the store for people: "Postgres <url>" or
// "SQLite <file>".
func describeStore(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return "Postgres " + redact(dsn)
	}
	return "SQLite " + strings.TrimPrefix(dsn, "sqlite://")
}

// busChannel is the Redis channel of one cluster: API servers share
// changes only when they share the database, so the channel is named
// after it (without its password), and clusters on one Redis stay apart.
func busChannel(dsn string) string {
	u, err := url.Parse(dsn)
	if err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		dsn = u.String()
	}
	sum := sha256.Sum256([]byte(dsn))
	return "minik8s:changes:" + hex.EncodeToString(sum[:8])
}

// flatError shows err on one line, for start-up messages: the network
// error at its root when there is one (a database driver may list every
// address it tried, one per line), else err's message with each run of
// white space made one space. Unwrap returns err.
type flatError struct{ err error }

func (e flatError) Error() string {
	var op *net.OpError
	if errors.As(e.err, &op) {
		return op.Error()
	}
	return strings.Join(strings.Fields(e.err.Error()), " ")
}

func (e flatError) Unwrap() error { return e.err }

var redisLogOnce sync.Once

// routeRedisLog sends go-redis's own log (by default printed to stderr,
// e.g. a line per failed dial of its connection pool) to log at debug
// level. go-redis's logger is process-wide: the first call wins.
func routeRedisLog(log zerolog.Logger) {
	redisLogOnce.Do(func() {
		redis.SetLogger(redisLogger{log.With().Str("component", "go-redis").Logger()})
	})
}

type redisLogger struct{ log zerolog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug().Msgf(format, v...)
}

// OneLine returns err shown on one line (see flatError), for messages
// that end the program; nil stays nil.
func OneLine(err error) error {
	if err == nil {
		return nil
	}
	return flatError{err}
}
