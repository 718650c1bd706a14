package store

import (
	"bytes"
	"fmt"
)

// valueInto is the scan destination of a value column. database/sql
// copies a []byte column scanned into a *[]byte, since a driver may reuse
// that memory for the next row. modernc.org/sqlite never does: each blob
// it returns is a copy made for that row (TestSQLiteValuesAreOwned holds it
// to that). So on SQLite (owned) the value is kept as the driver made it,
// which saves a second copy of everything the store reads back: every
// write's previous value, every change the watch hub reads, every object
// listed.
type valueInto struct {
	v     *[]byte
	owned bool // the driver's slice is the caller's to keep
}

func (d valueInto) Scan(src any) error {
	switch b := src.(type) {
	case nil:
		*d.v = nil
	case []byte:
		if !d.owned {
			b = bytes.Clone(b)
		}
		*d.v = b
	case string:
		*d.v = []byte(b)
	default:
		return fmt.Errorf("store: a value column holds %T", src)
	}
	return nil
}

func (s *SQLStore) value(v *[]byte) valueInto { return valueInto{v, s.ownsValues} }
