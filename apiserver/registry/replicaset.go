package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// replicasets: apps/v1 ReplicaSet. Its status is the controller's: create
// drops what a client sends and spec writes keep it.
var replicaSets = &Resource{
	Group: "apps", Version: "v1", Kind: "ReplicaSet", Name: "replicasets", Singular: "replicaset",
	Namespaced: true, ShortNames: []string{"rs"}, Categories: []string{"all"},
	Subresources: []string{"status", "scale"},
	Schema:       GoType[api.ReplicaSet](),
	Strategy: Strategy{
		Default:          defaults.ReplicaSet,
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateReplicaSet),
	},
	Fields: map[string][]string{"status.replicas": {"status", "replicas"}},
	Columns: []Column{
		{Name: "Desired", Type: "integer", Description: "Number of desired pods.",
			Cell: func(o map[string]any, _ time.Time) any { return replicas(o) }},
		{Name: "Current", Type: "integer", Description: "The number of pods the ReplicaSet owns.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "replicas") }},
		{Name: "Ready", Type: "integer", Description: "The number of ready pods.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "status", "readyReplicas") }},
		ageColumn,
		containersColumn, imagesColumn, selectorColumn,
	},
}

func init() { register(replicaSets) }
