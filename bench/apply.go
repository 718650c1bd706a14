package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// applyDeployments is how many Deployments the apply scenario writes (a
// quick run writes Params.Creates, if fewer), with applyClients clients.
const (
	applyDeployments = 1000
	applyClients     = 8
)

// applyWrite is one phase of the apply scenario: how to write object i.
type applyWrite struct {
	what   string
	set    string // "a" (applied) or "m" (merge-patched): whose resourceVersions
	method string
	path   func(i int) string
	ctype  string
	body   func(i int) []byte
	code   int
	noop   bool // the write changes nothing, so must write nothing
}

// applyScenario measures server-side apply of Deployments through the
// API beside the same writes as JSON merge patches (created by POST): the
// creates, a re-apply of the same configuration, which must write nothing
// (its answer carries the resourceVersion the object had), and a changed
// one (a new image). Each phase reports ops/s and p99.
func applyScenario(ctx context.Context, env *Env) error {
	n := min(applyDeployments, env.Params.Creates)
	srv, err := env.StartServer(ctx, ServerOptions{})
	if err != nil {
		return err
	}
	const ns = "bench-apply"
	if err := CreateNamespace(ctx, srv, ns); err != nil {
		return err
	}
	if err := warmUp(ctx, srv, applyClients); err != nil {
		return err
	}
	coll := "/apis/apps/v1/namespaces/" + ns + "/deployments"
	applyPath := func(prefix string) func(int) string {
		return func(i int) string { return coll + "/" + prefix + strconv.Itoa(i) + "?fieldManager=bench" }
	}
	config := func(prefix, image string) func(int) []byte {
		return func(i int) []byte {
			name := prefix + strconv.Itoa(i)
			return fmt.Appendf(nil, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  replicas: 1\n"+
				"  selector:\n    matchLabels: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n"+
				"    spec:\n      containers:\n      - name: app\n        image: %s\n", name, name, name, image)
		}
	}
	mergePath := func(i int) string { return coll + "/m-" + strconv.Itoa(i) }
	mergeBody := func(image string) func(int) []byte {
		return func(int) []byte {
			return fmt.Appendf(nil, `{"spec":{"template":{"spec":{"containers":[{"name":"app","image":%q}]}}}}`, image)
		}
	}
	const img1, img2 = "registry.k8s.io/pause:3.10", "registry.k8s.io/pause:3.9"
	const applyType, mergeType = "application/apply-patch+yaml", "application/merge-patch+json"
	phases := []applyWrite{
		{"server-side apply creates", "a", http.MethodPatch, applyPath("a-"), applyType, config("a-", img1), http.StatusCreated, false},
		{"server-side apply no-op re-applies", "a", http.MethodPatch, applyPath("a-"), applyType, config("a-", img1), http.StatusOK, true},
		{"server-side apply changed re-applies", "a", http.MethodPatch, applyPath("a-"), applyType, config("a-", img2), http.StatusOK, false},
		// The same Deployments, created by POST of the same configuration.
		{"POST creates (for merge patches)", "m", http.MethodPost, func(int) string { return coll },
			"application/yaml", config("m-", img1), http.StatusCreated, false},
		{"JSON merge patch no-op", "m", http.MethodPatch, mergePath, mergeType, mergeBody(img1), http.StatusOK, true},
		{"JSON merge patch changed", "m", http.MethodPatch, mergePath, mergeType, mergeBody(img2), http.StatusOK, false},
	}
	rvs := map[string][]string{"a": make([]string, n), "m": make([]string, n)}
	for _, ph := range phases {
		if err := applyPhase(ctx, env, srv, ph, n, rvs[ph.set]); err != nil {
			return err
		}
	}
	return nil
}

// applyPhase writes n objects as ph says, with applyClients clients, and
// reports the rate and p99; rvs holds each object's last resourceVersion,
// to count the writes that stored something.
func applyPhase(ctx context.Context, env *Env, srv *Server, ph applyWrite, n int, rvs []string) error {
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = ph.body(i)
	}
	var wrote atomic.Int64
	s, err := drive(ctx, n, applyClients, env.Params.RunTimeout, func(ctx context.Context, i int) error {
		code, out, err := srv.DoAs(ctx, ph.method, ph.path(i), ph.ctype, bodies[i])
		if err != nil {
			return err
		}
		if code != ph.code {
			return fmt.Errorf("%s %s: got %d, want %d: %s", ph.method, ph.path(i), code, ph.code, out)
		}
		var o struct {
			Metadata struct{ ResourceVersion string } `json:"metadata"`
		}
		if err := json.Unmarshal(out, &o); err != nil {
			return fmt.Errorf("%s: %w", ph.what, err)
		}
		if o.Metadata.ResourceVersion != rvs[i] {
			wrote.Add(1)
		}
		rvs[i] = o.Metadata.ResourceVersion
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", ph.what, err)
	}
	env.Logf("%s: %d in %s, %s, p99 %s ms, %d written", ph.what, s.N, s.Elapsed.Round(time.Millisecond),
		perSecond(s.Rate()), ms(s.Pct(0.99)), wrote.Load())
	fig := fmt.Sprintf("%s/s and p99, %s", ph.what, clients(applyClients))
	measured := perSecond(s.Rate()) + ", p99 " + ms(s.Pct(0.99)) + " ms" + s.cut()
	if ph.noop {
		w := wrote.Load()
		env.Report(Check(fig, measured+fmt.Sprintf(", %d written", w), "no write", w == 0))
	} else {
		env.Report(Info(fig, measured))
	}
	return nil
}
