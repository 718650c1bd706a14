package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"
)

// dataDirFiles are the files minik8s writes in a data dir: the SQLite
// database and its WAL, the CA and the API server's certificate, the
// admin kubeconfig and the token file. All are its owner's only.
var dataDirFiles = []string{
	"minik8s.db", "minik8s.db-wal", "minik8s.db-shm",
	"ca.crt", "ca.key", "apiserver.crt", "apiserver.key",
	"kubeconfig", "tokens.csv", "sa.key",
}

// prepareDataDir makes dir with mode 0700 unless it exists. An existing
// dir that its group or others may read is left as it is (it is the
// user's) but warned about; the files minik8s made in it that are open
// to others (older versions wrote certificates and the database 0644)
// are made 0600.
func prepareDataDir(dir string, log zerolog.Logger) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("data dir %s is not a directory", dir)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		log.Warn().Str("dir", dir).Str("mode", fmt.Sprintf("%#o", perm)).
			Msg("the data dir holds the cluster's CA key, tokens and database, yet others on this host may open it: chmod 700 it")
	}
	for _, name := range dataDirFiles {
		p := filepath.Join(dir, name)
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, 0o600); err != nil {
			return fmt.Errorf("make %s private: %w", p, err)
		}
		log.Info().Str("file", p).Msg("made private (mode 0600)")
	}
	return nil
}
