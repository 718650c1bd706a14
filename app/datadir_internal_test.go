package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/internal/syncbuf"
)

// A data dir that others may open is warned about (and left alone: it is
// the user's); one for its owner only, or a new one, is not.
func TestPrepareDataDirWarnsAboutALooseDir(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode os.FileMode // 0: the dir does not exist
		warn bool
	}{
		{"new", 0, false},
		{"owner only", 0o700, false},
		{"group readable", 0o750, true},
		{"world readable", 0o755, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if tt.mode != 0 {
				if err := os.Mkdir(dir, tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(dir, tt.mode); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			var buf syncbuf.Buffer
			if err := prepareDataDir(dir, zerolog.New(&buf)); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), `"level":"warn"`); got != tt.warn {
				t.Errorf("warned %v, want %v: %s", got, tt.warn, buf.String())
			}
			st, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.mode
			if want == 0 {
				want = 0o700
			}
			if st.Mode().Perm() != want {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), want)
			}
		})
	}
}
