package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
)

// keep records the slices a driver hands to Scan, without copying them.
type keep struct{ got *[][]byte }

func (k keep) Scan(src any) error {
	b, _ := src.([]byte)
	*k.got = append(*k.got, b)
	return nil
}

// TestSQLiteValuesAreOwned holds modernc.org/sqlite to what valueInto
// relies on: a blob it returns is the row's own, never reused for the
// next row nor after the rows are closed.
func TestSQLiteValuesAreOwned(t *testing.T) {
	db, err := gorm.Open(sqlite.Open(filepath.Join(t.TempDir(), "v.db")), &gorm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	ctx := context.Background()
	if _, err := sqlDB.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		t.Fatal(err)
	}
	want := [][]byte{bytes.Repeat([]byte("a"), 4000), bytes.Repeat([]byte("b"), 4000), []byte("c"), bytes.Repeat([]byte("d"), 9000)}
	for i, v := range want {
		if _, err := sqlDB.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i, v); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]byte
	for range 2 { // and again, on a connection that has read them once
		got = got[:0]
		rows, err := sqlDB.QueryContext(ctx, `SELECT v FROM t ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			if err := rows.Scan(keep{&got}); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlDB.ExecContext(ctx, `UPDATE t SET v = x'00'`); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if i >= len(got) || !bytes.Equal(got[i], want[i]) {
				t.Fatalf("row %d's blob changed after later rows were read: the driver reuses its memory, and valueInto must copy", i)
			}
		}
		for i, v := range want {
			if _, err := sqlDB.ExecContext(ctx, `UPDATE t SET v = ? WHERE id = ?`, v, i); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestValueInto(t *testing.T) {
	src := []byte("object")
	var v []byte
	if err := (valueInto{&v, true}).Scan(src); err != nil || &v[0] != &src[0] {
		t.Fatalf("owned: got a copy (%v)", err)
	}
	if err := (valueInto{&v, false}).Scan(src); err != nil || &v[0] == &src[0] || !bytes.Equal(v, src) {
		t.Fatalf("not owned: got the driver's slice or a wrong copy (%v)", err)
	}
	if err := (valueInto{&v, false}).Scan(nil); err != nil || v != nil {
		t.Fatalf("NULL: got %q, %v", v, err)
	}
	if err := (valueInto{&v, false}).Scan(int64(1)); err == nil {
		t.Fatal("an integer scanned as a value")
	}
}
