package registry

import (
	"fmt"
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// priorityClasses: scheduling.k8s.io/v1 PriorityClass. Every cluster has
// the two system classes; other names may not start with "system-", and
// their values stay at or below 1000000000. Value and preemptionPolicy
// cannot change.
var priorityClasses = &Resource{
	Group: "scheduling.k8s.io", Version: "v1", Kind: "PriorityClass", Name: "priorityclasses", Singular: "priorityclass",
	ShortNames: []string{"pc"},
	Schema:     GoType[api.PriorityClass](),
	Strategy: Strategy{
		Default: func(o Object) {
			if o["preemptionPolicy"] == nil {
				o["preemptionPolicy"] = string(api.PreemptLowerPriority)
			}
		},
		Validate: Typed(validatePriorityClass),
	},
	Bootstrap: systemPriorityClasses,
	Columns: []Column{
		{Name: "Value", Type: "integer", Description: "The priority of the pods of this class.",
			Cell: func(o map[string]any, _ time.Time) any { return num(o, "value") }},
		{Name: "Global-Default", Type: "boolean", Description: "Whether this is the class of pods that name none.",
			Cell: func(o map[string]any, _ time.Time) any { b, _ := value(o, "globalDefault").(bool); return b }},
		ageColumn,
		{Name: "PreemptionPolicy", Type: "string", Description: "Whether pods of this class may preempt pods of lower priority.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "preemptionPolicy") }},
	},
	Docs: map[string]string{
		"PriorityClass":                  "PriorityClass defines a mapping from a priority class name to the priority integer value. The value can be any valid integer.",
		"PriorityClass.value":            "Value is the integer priority of the pods that name this class: the higher, the more important.",
		"PriorityClass.globalDefault":    "GlobalDefault makes this class the priority of pods that name no class. Only one class should be the global default.",
		"PriorityClass.description":      "Description is an arbitrary string that says when this class should be used.",
		"PriorityClass.preemptionPolicy": "PreemptionPolicy is the policy for preempting pods with lower priority: Never or PreemptLowerPriority (the default). It cannot change.",
	},
}

func init() { register(priorityClasses) }

// systemPriorityClasses are the classes of every cluster.
var systemPriorityClasses = []Object{
	systemPriorityClass(api.SystemClusterCritical, api.SystemCriticalPriority,
		"Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
	systemPriorityClass(api.SystemNodeCritical, api.SystemCriticalPriority+1000,
		"Used for system critical pods that must not be moved from their current node."),
}

func systemPriorityClass(name string, value int, description string) Object {
	return Object{
		"metadata":         map[string]any{"name": name},
		"value":            value,
		"description":      description,
		"preemptionPolicy": string(api.PreemptLowerPriority),
	}
}

// validatePriorityClass checks a PriorityClass as Kubernetes'
// ValidatePriorityClass and ValidatePriorityClassUpdate do.
func validatePriorityClass(pc, old *api.PriorityClass) field.ErrorList {
	errs := validation.ValidateObjectMeta(&pc.ObjectMeta, false, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	if strings.HasPrefix(pc.Name, api.SystemPriorityClassPrefix) {
		if err := knownSystemClass(pc); err != nil {
			errs = append(errs, field.Forbidden(field.NewPath("metadata", "name"),
				"priority class names with '"+api.SystemPriorityClassPrefix+"' prefix are reserved for system use only. error: "+err.Error()))
		}
	} else if pc.Value > api.HighestUserDefinablePriority {
		errs = append(errs, field.Forbidden(field.NewPath("value"),
			fmt.Sprintf("maximum allowed value of a user defined priority is %v", api.HighestUserDefinablePriority)))
	}
	if p := pc.PreemptionPolicy; p != nil && *p != api.PreemptLowerPriority && *p != api.PreemptNever {
		errs = append(errs, field.NotSupported(field.NewPath("preemptionPolicy"), string(*p),
			[]string{string(api.PreemptLowerPriority), string(api.PreemptNever)}))
	}
	if old == nil {
		return errs
	}
	if pc.Value != old.Value {
		errs = append(errs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
	}
	var p, oldP string
	if pc.PreemptionPolicy != nil {
		p = string(*pc.PreemptionPolicy)
	}
	if old.PreemptionPolicy != nil {
		oldP = string(*old.PreemptionPolicy)
	}
	errs = append(errs, validation.ValidateImmutableField(p, oldP, field.NewPath("preemptionPolicy"))...)
	return errs
}

// knownSystemClass says what is wrong with pc as one of the system
// classes, whose names start with "system-" (nil if nothing).
func knownSystemClass(pc *api.PriorityClass) error {
	for _, b := range systemPriorityClasses {
		if str(b, "metadata", "name") != pc.Name {
			continue
		}
		if want, _ := toInt(b["value"]); int64(pc.Value) != want {
			return fmt.Errorf("value of %v PriorityClass must be %v", pc.Name, want)
		}
		if pc.GlobalDefault {
			return fmt.Errorf("globalDefault of %v PriorityClass must be false", pc.Name)
		}
		return nil
	}
	return fmt.Errorf("%v is not a known system priority class", pc.Name)
}
