package registry

import (
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// statefulSets: apps/v1 StatefulSet, with the scale subresource. Its
// status is the controller's; after create only replicas, ordinals,
// template, updateStrategy, revisionHistoryLimit, the claim retention
// policy and minReadySeconds may change.
var statefulSets = &Resource{
	Group: "apps", Version: "v1", Kind: "StatefulSet", Name: "statefulsets", Singular: "statefulset",
	Namespaced: true, ShortNames: []string{"sts"}, Categories: []string{"all"},
	Subresources: []string{"status", "scale"},
	Schema:       GoType[api.StatefulSet](),
	Strategy: Strategy{
		Default:          defaults.StatefulSet,
		PrepareForCreate: ResetStatus,
		PrepareForUpdate: KeepStatus,
		Validate:         Typed(validation.ValidateStatefulSet),
	},
	Columns: []Column{
		{Name: "Ready", Type: "string", Description: "Number of the pod with ready state out of the desired number.",
			Cell: func(o map[string]any, _ time.Time) any {
				return fmt.Sprintf("%d/%d", num(o, "status", "readyReplicas"), replicas(o))
			}},
		ageColumn,
		containersColumn, imagesColumn,
	},
	GroupTypes: []string{"RollingUpdateStatefulSetStrategy"},
	Docs: map[string]string{
		"StatefulSet":                          "StatefulSet represents a set of pods with consistent identities: network (a stable hostname through the governing Service) and storage (claims from volumeClaimTemplates). The StatefulSet guarantees that a given network identity will always map to the same storage identity.",
		"StatefulSet.spec":                     "Spec defines the desired identities of pods in this set.",
		"StatefulSet.status":                   "Status is the current status of Pods in this StatefulSet. This data may be out of date by some window of time.",
		"StatefulSetSpec":                      "A StatefulSetSpec is the specification of a StatefulSet.",
		"StatefulSetSpec.replicas":             "replicas is the desired number of replicas of the given Template. Defaults to 1.",
		"StatefulSetSpec.selector":             "selector is a label query over pods that should match the replica count. It must match the pod template's labels.",
		"StatefulSetSpec.template":             "template is the object that describes the pod that will be created if insufficient replicas are detected. Each pod stamped out by the StatefulSet will fulfill this Template, but have a unique identity from the rest of the StatefulSet.",
		"StatefulSetSpec.serviceName":          "serviceName is the name of the service that governs this StatefulSet. Pods get DNS/hostnames that follow the pattern: pod-specific-string.serviceName.default.svc.cluster.local.",
		"StatefulSetSpec.podManagementPolicy":  "podManagementPolicy controls how pods are created during initial scale up, when replacing pods on nodes, or when scaling down. The default policy is `OrderedReady`; `Parallel` creates and deletes pods without waiting.",
		"StatefulSetSpec.volumeClaimTemplates": "volumeClaimTemplates is a list of claims that pods are allowed to reference. Every claim in this list must have at least one matching (by name) volumeMount in one container in the template.",
		"StatefulSetSpec.updateStrategy":       "updateStrategy indicates the StatefulSetUpdateStrategy that will be employed to update Pods in the StatefulSet when a revision is made to Template.",
		"StatefulSetStatus":                    "StatefulSetStatus represents the current state of a StatefulSet.",
	},
}

func init() { register(statefulSets) }
