package app

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
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
