package app

import (
	"fmt"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/minik8s/minik8s/dashboard"
)

// NewDashboard builds the web dashboard (listening when it returns): it
// reaches the API server with the client kubeconfig, and the replica
// endpoints of the scheduler and the controller manager when their ports
// are on. The API server must have written the kubeconfig.
func NewDashboard(cfg Config, log zerolog.Logger) (*dashboard.Server, error) {
	replicas := map[string]string{}
	if p := cfg.Scheduler.Port; p != 0 {
		replicas["scheduler"] = fmt.Sprintf("https://127.0.0.1:%d", p)
	}
	if p := cfg.ControllerManager.Port; p != 0 {
		replicas["controller-manager"] = fmt.Sprintf("https://127.0.0.1:%d", p)
	}
	return dashboard.New(cfg.Dashboard, dashboard.Deps{
		Kubeconfig: cfg.ClientKubeconfig(),
		KeyFile:    filepath.Join(cfg.DataDir, "dashboard.key"),
		Replicas:   replicas,
	}, log.With().Str("component", "dashboard").Logger())
}
