package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// profile starts a CPU profile of server s for Options.ProfileFor, written
// to <ProfileDir>/<scenario>-<what>.pprof, if Options.ProfileDir is set;
// otherwise it does nothing. The profile is collected in the background
// and waited for when the scenario ends, before its servers stop. A failed
// profile is logged, not an error: it is a diagnostic, not a figure.
func (e *Env) profile(ctx context.Context, s *Server, what string) {
	if e.profileDir == "" {
		return
	}
	path := filepath.Join(e.profileDir, e.name+"-"+what+".pprof")
	secs := strconv.Itoa(max(1, int(e.profileFor.Round(time.Second)/time.Second)))
	done := make(chan error, 1)
	go func() { done <- fetchProfile(ctx, s, secs, path) }()
	e.onCleanup(func() error {
		if err := <-done; err != nil {
			e.Logf("CPU profile of %s: %v", what, err)
		} else {
			e.Logf("CPU profile of %s (%s s): %s", what, secs, path)
		}
		return nil
	})
}

func fetchProfile(ctx context.Context, s *Server, secs, path string) error {
	resp, err := s.send(ctx, http.MethodGet, "/debug/pprof/profile?seconds="+secs, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
