package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/api"
)

// readyCheck is one check of /readyz. A check that is not critical is
// listed but does not fail readiness: the server still serves correctly
// without it, only degraded.
type readyCheck struct {
	name     string
	critical bool
	check    func(ctx context.Context) error
}

// readyTimeout bounds each check, so that a hung database answers 503
// rather than a probe that never returns.
const readyTimeout = 5 * time.Second

// errFanOutDegraded: the hub is not subscribed to the bus; it polls the
// change log instead, so watches stay correct but lag by up to a poll.
var errFanOutDegraded = errors.New("watch hub not subscribed to the bus; watches are served from the change log")

func (s *Server) readyChecks() []readyCheck {
	checks := []readyCheck{
		{"ping", true, func(context.Context) error { return nil }},
		{"store", true, func(ctx context.Context) error {
			_, err := s.deps.Store.Revision(ctx)
			return err
		}},
		{"watch-hub", true, func(context.Context) error {
			if !s.hub.Started() {
				return errors.New("watch hub not started")
			}
			return nil
		}},
		// Until the caches fed by the hub have loaded, requests wait
		// (authorization) or go to the store: kube-apiserver's
		// informer-sync check.
		{"informer-sync", true, func(context.Context) error {
			var waiting []string
			for _, c := range s.admissionCaches() {
				if !c.HasSynced() {
					waiting = append(waiting, c.Resource())
				}
			}
			if !s.authz.hasSynced() {
				waiting = append(waiting, "rbac")
			}
			if !s.pc.loaded.Load() {
				waiting = append(waiting, pcStore)
			}
			if !s.crds.loaded.Load() {
				waiting = append(waiting, crdStoreName)
			}
			if len(waiting) > 0 {
				return fmt.Errorf("caches not loaded yet: %s", strings.Join(waiting, ", "))
			}
			return nil
		}},
		{"watch-fanout", false, func(context.Context) error {
			if !s.hub.Ready() {
				return errFanOutDegraded
			}
			return nil
		}},
	}
	if s.deps.Ready != nil {
		checks = append(checks, readyCheck{"extra", true, s.deps.Ready})
	}
	return checks
}

// readyz answers as kube-apiserver's /readyz does: "ok", or with ?verbose
// (and whenever it fails) one line per check, "[+]name ok" or
// "[-]name failed: reason withheld", then "readyz check passed" or
// "readyz check failed" (503). Why a check failed goes to the log only: it
// may name the database, its user and address, and /readyz is public.
// A failing check that is not critical (watch-fanout) is listed but leaves
// the server ready. /readyz/NAME runs one check.
func (s *Server) readyz(c echo.Context) error {
	only := strings.TrimPrefix(strings.TrimPrefix(c.Request().URL.Path, "/readyz"), "/")
	_, verbose := c.QueryParams()["verbose"]
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	var out strings.Builder
	failed, found := false, only == ""
	for _, ch := range s.readyChecks() {
		if only != "" && ch.name != only {
			continue
		}
		found = true
		if err := ch.check(ctx); err != nil {
			ev := s.log.Warn()
			if !ch.critical {
				ev = s.log.Debug()
			}
			ev.Err(err).Str("check", ch.name).Msg("readyz check failed")
			failed = failed || ch.critical
			out.WriteString("[-]" + ch.name + " failed: reason withheld\n")
			continue
		}
		out.WriteString("[+]" + ch.name + " ok\n")
	}
	if !found {
		return writeStatus(c, newStatus(http.StatusNotFound, api.StatusReasonNotFound, "the server could not find the requested resource"))
	}
	if failed {
		out.WriteString("readyz check failed\n")
		return c.String(http.StatusServiceUnavailable, out.String())
	}
	if !verbose {
		return c.String(http.StatusOK, "ok")
	}
	out.WriteString("readyz check passed\n")
	return c.String(http.StatusOK, out.String())
}
