package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/client"
)

// AnnotationDecision is the pod annotation where the scheduler publishes
// its decision about the pod when Config.Decisions is on.
const AnnotationDecision = "scheduler.minik8s.io/decision"

// Decision is what one scheduling attempt saw: for each node it looked
// at, in the order it looked, the filter verdict and, for the feasible
// ones, each score plugin's weighted, normalised score and their total.
// Nodes left unexamined (percentageOfNodesToScore) are absent.
type Decision struct {
	// Selected is the node picked ("" if none fits).
	Selected string `json:"selected"`
	// Message is the FailedScheduling message when none fits.
	Message string         `json:"message,omitempty"`
	Nodes   []NodeDecision `json:"nodes"`
}

// NodeDecision is one node's part of a Decision.
type NodeDecision struct {
	Name string `json:"name"`
	// Filter is why the node was rejected ("" if it passed every filter).
	Filter string `json:"filter,omitempty"`
	// Scores are weight × normalised score per score plugin, Total their
	// sum (feasible nodes only).
	Scores map[string]int64 `json:"scores,omitempty"`
	Total  int64            `json:"total,omitempty"`
}

// DecisionWriter publishes decisions (the APIWriter does, as a pod
// annotation).
type DecisionWriter interface {
	PublishDecision(ctx context.Context, pod *api.Pod, d *Decision) error
}

// PublishDecision merge-patches the decision into the pod's annotations.
func (w *APIWriter) PublishDecision(ctx context.Context, pod *api.Pod, d *Decision) error {
	v, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode decision: %w", err)
	}
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{AnnotationDecision: string(v)},
	}})
	if err != nil {
		return fmt.Errorf("encode decision patch: %w", err)
	}
	err = w.c.Pods(pod.Namespace).PatchDiscard(ctx, pod.Name, client.MergePatchType, body)
	return err
}

// recordFilter notes a node's filter verdict; a no-op when decisions are
// off (d is nil).
func (d *Decision) recordFilter(n *NodeInfo, reasons []string) {
	if d == nil {
		return
	}
	d.Nodes = append(d.Nodes, NodeDecision{Name: n.Name(), Filter: strings.Join(reasons, ", ")})
}

// recordScores notes the feasible nodes' scores; scores[j][i] is scorer
// j's normalised score of feasible[i] (an empty row: skipped).
func (d *Decision) recordScores(feasible []*NodeInfo, scorers []Weighted, scores [][]int64) {
	if d == nil {
		return
	}
	at := make(map[string]int, len(d.Nodes))
	for i := range d.Nodes {
		at[d.Nodes[i].Name] = i
	}
	for i, n := range feasible {
		nd := &d.Nodes[at[n.Name()]]
		nd.Scores = make(map[string]int64, len(scorers))
		for j, sc := range scorers {
			var v int64
			if len(scores[j]) > 0 {
				v = sc.Weight * scores[j][i]
			}
			nd.Scores[sc.Name] = v
			nd.Total += v
		}
	}
}
