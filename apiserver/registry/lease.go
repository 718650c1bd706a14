package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/validation"
)

// leases: coordination.k8s.io/v1 Lease, the lock of leader election.
var leases = &Resource{
	Group: "coordination.k8s.io", Version: "v1", Kind: "Lease", Name: "leases", Singular: "lease",
	Namespaced: true,
	Schema:     GoType[api.Lease](),
	Strategy:   Strategy{Validate: Typed(validation.ValidateLease)},
	Columns: []Column{
		{Name: "Holder", Type: "string", Description: "The identity of the holder of the lease.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "holderIdentity") }},
	},
}

func init() { register(leases) }
