package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Sizes of the job-sim scenario, as the issue asks: a Job of 1,000
// completions, 100 at a time, on 100 simulated nodes (quick: a tenth).
func jobSize(p Params) (nodes, completions, parallelism int) {
	if p.ClusterNodes < 100 {
		return p.ClusterNodes, p.ClusterNodes * 10, p.ClusterNodes
	}
	return 100, 1000, 100
}

// JobJSON is a Job of completions pods, parallelism at a time, whose
// containers run the simulated runtime's default run time and exit 0.
func JobJSON(ns, name string, completions, parallelism int) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":%q,"namespace":%q},`+
		`"spec":{"completions":%d,"parallelism":%d,"template":{"spec":{"restartPolicy":"Never",`+
		`"containers":[{"name":"work","image":"busybox","resources":{"requests":{"cpu":"10m","memory":"16Mi"}}}]}}}}`,
		name, ns, completions, parallelism)
}

// jobEvent is the part of a Job watch event the benchmark reads.
type jobEvent struct {
	Object struct {
		Status struct {
			Succeeded  int `json:"succeeded"`
			Failed     int `json:"failed"`
			Conditions []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"conditions"`
		} `json:"status"`
	} `json:"object"`
}

// jobScenario starts `minik8s all` with simulated nodes, creates a Job
// through the API and times it from just before the create to the
// Complete condition, as a watch of the Job sees it.
func jobScenario(ctx context.Context, env *Env) error {
	p := env.Params
	nodes, completions, parallelism := jobSize(p)
	env.Note("job-sim: the simulated containers of Job pods run kubelet.sim.completeAfter (1 s) and exit 0, so " +
		"completions/parallelism × 1 s is the floor; the benchmark's config starts simulated containers at once.")
	srv, err := env.StartServer(ctx, ServerOptions{Role: "all", Args: []string{"--nodes", strconv.Itoa(nodes), "--runtime", "sim"}})
	if err != nil {
		return err
	}
	if err := WaitNodesReady(ctx, srv, nodes, p.RunTimeout); err != nil {
		return err
	}
	if err := WaitLeaders(ctx, srv, p.RunTimeout, "kube-scheduler", "kube-controller-manager"); err != nil {
		return err
	}
	const ns, name = "bench-job", "work"
	if err := CreateNamespace(ctx, srv, ns); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := srv.send(wctx, http.MethodGet, "/apis/batch/v1/namespaces/"+ns+"/jobs?watch=true&fieldSelector=metadata.name%3D"+name, nil)
	if err != nil {
		return fmt.Errorf("watch job: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("watch job: status %d", resp.StatusCode)
	}
	type result struct {
		at                time.Time
		succeeded, failed int
		err               error
	}
	done := make(chan result, 1)
	go func() {
		dec := json.NewDecoder(resp.Body)
		var last result
		for {
			var ev jobEvent
			if err := dec.Decode(&ev); err != nil {
				last.err = err
				done <- last
				return
			}
			last.succeeded, last.failed = ev.Object.Status.Succeeded, ev.Object.Status.Failed
			for _, c := range ev.Object.Status.Conditions {
				if (c.Type == "Complete" || c.Type == "Failed") && c.Status == "True" {
					last.at = time.Now()
					done <- last
					return
				}
			}
		}
	}()
	env.profile(ctx, srv, "all")
	start := time.Now()
	if _, err := srv.Expect(ctx, http.StatusCreated, http.MethodPost, "/apis/batch/v1/namespaces/"+ns+"/jobs",
		JobJSON(ns, name, completions, parallelism)); err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	timeout := max(p.RunTimeout, time.Duration(completions/parallelism)*10*time.Second)
	figure := fmt.Sprintf("SQLite, all with %d sim nodes: Job of %d completions, parallelism %d → Complete", nodes, completions, parallelism)
	select {
	case r := <-done:
		if r.err != nil {
			return fmt.Errorf("watch job: %w (after %d succeeded)", r.err, r.succeeded)
		}
		env.Logf("job finished after %s: %d succeeded, %d failed", r.at.Sub(start).Round(time.Millisecond), r.succeeded, r.failed)
		measured := seconds(r.at.Sub(start))
		if r.failed > 0 || r.succeeded != completions {
			measured += fmt.Sprintf(" (%d succeeded, %d failed)", r.succeeded, r.failed)
		}
		env.Report(Info(figure, measured),
			Info("floor: simulated run time × completions / parallelism", seconds(time.Duration(completions/parallelism)*time.Second)))
	case <-time.After(timeout):
		env.Report(Info(figure, fmt.Sprintf("timed out after %s", seconds(timeout))))
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
