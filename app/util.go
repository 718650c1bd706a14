package app

import (
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
