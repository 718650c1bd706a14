// Package sqlite stands in for github.com/glebarez/go-sqlite, the driver
// github.com/glebarez/sqlite (GORM's SQLite dialector) imports: it hands the
// work to modernc.org/sqlite, the upstream glebarez/go-sqlite was forked from.
package sqlite

import msqlite "modernc.org/sqlite"

// Error is the driver's error; the dialector translates its codes.
type Error = msqlite.Error
