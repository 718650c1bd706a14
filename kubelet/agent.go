package kubelet

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
	"github.com/minik8s/minik8s/replica"
)

// Node agent controls: what a workshop does to one node of this kubelet to
// show a node failing and recovering, as the replica controls do to a
// scheduler replica. The rest of the kubelet's nodes go on.
//
//   - stop: the node's agent is gone, as if its process had died: no
//     heartbeat, no pod sync; the node's containers keep running, as they
//     do when a real kubelet stops. start brings the agent back.
//   - freeze: the agent hangs, as if its process were SIGSTOPped: a
//     heartbeat waits where it is (replica.Hold) and pods are not synced;
//     unfreeze resumes it where it was.
//
// Either way the node's Lease is no longer renewed, so the node lifecycle
// controller marks it NotReady after its grace period and taints it, and
// its pods are evicted when their toleration runs out.

// agent is one node's agent state.
type agent struct {
	stopped atomic.Bool
	hold    *replica.Hold
}

// paused reports whether the node's agent is stopped or frozen.
func (a *agent) paused() bool { return a.stopped.Load() || a.hold.Frozen() }

// pausedRetry is how soon a pod of a paused node is looked at again.
const pausedRetry = time.Second

// AgentStatus is a node agent's state, as GET /nodeagents shows it.
type AgentStatus struct {
	Node    string `json:"node"`
	Stopped bool   `json:"stopped"`
	Frozen  bool   `json:"frozen"`
}

func (n *node) agentStatus() AgentStatus {
	return AgentStatus{Node: n.Name, Stopped: n.agent.stopped.Load(), Frozen: n.agent.hold.Frozen()}
}

// agentHandler serves GET /nodeagents and POST
// /nodeagents/{node}/{stop|start|freeze|unfreeze} to admins (a bearer
// token of replica.AdminGroup), or nil when there are no tokens to check.
func (k *Kubelet) agentHandler(tokens *authn.Tokens) http.Handler {
	if tokens == nil {
		return nil
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	none := func(string) bool { return false }
	e.Use(authn.Middleware(tokens, none), replica.OnlyAdmins(none))
	e.GET("/nodeagents", func(c echo.Context) error {
		out := make([]AgentStatus, len(k.order))
		for i, n := range k.order {
			out[i] = n.agentStatus()
		}
		return c.JSON(http.StatusOK, out)
	})
	e.POST("/nodeagents/:node/:action", func(c echo.Context) error {
		n := k.nodes[c.Param("node")]
		if n == nil {
			writeStatus(c.Response(), http.StatusNotFound, api.StatusReasonNotFound,
				"node "+c.Param("node")+" is not one of this kubelet's nodes")
			return nil
		}
		switch action := c.Param("action"); action {
		case "stop":
			n.agent.stopped.Store(true)
		case "start":
			n.agent.stopped.Store(false)
		case "freeze":
			n.agent.hold.Freeze()
		case "unfreeze":
			n.agent.hold.Unfreeze()
		default:
			writeStatus(c.Response(), http.StatusNotFound, api.StatusReasonNotFound,
				"unknown action "+action+": want stop, start, freeze or unfreeze")
			return nil
		}
		k.log.Info().Str(logKeyNode, n.Name).Str("action", c.Param("action")).Msg("node agent control")
		if !n.agent.paused() {
			k.requeueNode(n) // catch up with what changed meanwhile
		}
		return c.JSON(http.StatusOK, n.agentStatus())
	})
	return e
}

// requeueNode queues every known pod of n.
func (k *Kubelet) requeueNode(n *node) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for uid, w := range k.workers {
		if w.node == n {
			k.queue.Add(uid)
		}
	}
}
