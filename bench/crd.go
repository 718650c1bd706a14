package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// crdServedTarget is how soon a new CRD's kind must be served, by every
// API server sharing the store (issue #10).
const crdServedTarget = time.Second

// crdJSON is a small CRD of kind Widget<i> in group bench.example.com.
func crdJSON(i int) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",`+
		`"metadata":{"name":"widget%ds.bench.example.com"},"spec":{"group":"bench.example.com","scope":"Namespaced",`+
		`"names":{"plural":"widget%ds","kind":"Widget%d"},"versions":[{"name":"v1","served":true,"storage":true,`+
		`"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"size":{"type":"integer","default":1}}}}}}}]}}`,
		i, i, i)
}

// crdServed measures, on two API servers sharing a Postgres database and
// a Redis, how long after a CRD's create returns on A its kind is served
// on A and on B (polled every millisecond), for 20 CRDs created
// one after the other.
func crdServed(ctx context.Context, env *Env) error {
	db, err := env.CreateDatabase(ctx)
	if err != nil {
		return err
	}
	opt := ServerOptions{Store: db, Redis: env.Redis}
	a, err := env.StartServer(ctx, opt)
	if err != nil {
		return err
	}
	b, err := env.StartServer(ctx, opt)
	if err != nil {
		return err
	}
	const n = 20
	var onA, onB []time.Duration
	for i := range n {
		if _, err := a.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crdJSON(i)); err != nil {
			return err
		}
		created := time.Now()
		path := fmt.Sprintf("/apis/bench.example.com/v1/namespaces/default/widget%ds", i)
		for _, s := range []struct {
			srv *Server
			out *[]time.Duration
		}{{a, &onA}, {b, &onB}} {
			for {
				code, _, err := s.srv.Do(ctx, http.MethodGet, path, nil)
				if err != nil {
					return err
				}
				if code == http.StatusOK {
					*s.out = append(*s.out, time.Since(created))
					break
				}
				if time.Since(created) > 10*time.Second {
					return fmt.Errorf("CRD %d not served after 10s (last answer %d)", i, code)
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	for _, l := range [][]time.Duration{onA, onB} {
		slices.Sort(l)
	}
	worst := max(onA[n-1], onB[n-1])
	env.Logf("CRD served: on A p50 %s ms, max %s ms; on B p50 %s ms, max %s ms", ms(onA[n/2]), ms(onA[n-1]), ms(onB[n/2]), ms(onB[n-1]))
	env.Report(Check(fmt.Sprintf("CRD create to kind served, %d CRDs, p50 / max on A; on B (same Postgres, Redis)", n),
		ms(onA[n/2])+" / "+ms(onA[n-1])+" ms; "+ms(onB[n/2])+" / "+ms(onB[n-1])+" ms",
		fmt.Sprintf("max ≤ %d ms", crdServedTarget.Milliseconds()), worst <= crdServedTarget))
	return nil
}
