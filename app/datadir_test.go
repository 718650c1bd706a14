package app_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/minik8s/minik8s/internal/testenv"
)

// startStop starts an API server on dir and stops it.
func startStop(t *testing.T, dir string) {
	t.Helper()
	testenv.StartAPIServer(t, testenv.Options{DataDir: dir}).Stop()
}

// looseFiles lists the files in dir that others may read.
func looseFiles(t *testing.T, dir string) []string {
	t.Helper()
	var loose []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if st, err := os.Stat(p); err == nil && st.Mode().Perm()&0o077 != 0 {
			loose = append(loose, d.Name()+" "+st.Mode().Perm().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return loose
}

// A new data dir is 0700 and every file in it 0600 (the SQLite file and
// the certificates were 0644). An existing dir open to others gets a
// warning, and the files minik8s made in it are made 0600.
func TestDataDirIsPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	startStop(t, dir)
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := st.Mode().Perm(); m != 0o700 {
		t.Errorf("new data dir: mode %v, want 0700", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "minik8s.db")); err != nil {
		t.Fatal(err)
	}
	if loose := looseFiles(t, dir); len(loose) > 0 {
		t.Errorf("files others may read: %v", loose)
	}

	// As an older version (or a careless user) left it.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.Chmod(filepath.Join(dir, e.Name()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	startStop(t, dir)
	if loose := looseFiles(t, dir); len(loose) > 0 {
		t.Errorf("files others may read after a restart: %v", loose)
	}
}
