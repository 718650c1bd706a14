package registry

import (
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// deployments: apps/v1 Deployment. Its status is the controller's: create
// drops what a client sends and spec writes keep it.
var deployments = &Resource{
	Group: "apps", Version: "v1", Kind: "Deployment", Name: "deployments", Singular: "deployment",
	Namespaced: true, ShortNames: []string{"deploy"}, Categories: []string{"all"},
	Subresources: []string{"status", "scale"},
	Schema:       GoType[api.Deployment](),
	Strategy: Strategy{
		Default:          defaults.Deployment,
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateDeployment),
	},
	Columns: []Column{
		{Name: "Ready", Type: "string", Description: "Number of ready pods out of the desired number.",
			Cell: func(o map[string]any, _ time.Time) any {
				return fmt.Sprintf("%d/%d", num(o, "status", "readyReplicas"), replicas(o))
			}},
		{Name: "Up-to-date", Type: "integer", Description: "Total number of pods running the current pod template.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "updatedReplicas") }},
		{Name: "Available", Type: "integer", Description: "Total number of available pods (ready for at least minReadySeconds).",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "availableReplicas") }},
		ageColumn,
		containersColumn, imagesColumn, selectorColumn,
	},
	GroupTypes: []string{"RollingUpdateDeployment"},
}

func init() { register(deployments) }
