package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/defaults"
	"github.com/minik8s/minik8s/api/validation"
)

// ingressClasses: networking.k8s.io/v1 IngressClass (cluster-scoped),
// stored and validated; its controller cannot change.
var ingressClasses = &Resource{
	Group: "networking.k8s.io", Version: "v1", Kind: "IngressClass", Name: "ingressclasses", Singular: "ingressclass",
	Schema: GoType[api.IngressClass](),
	Strategy: Strategy{
		Default:  defaults.IngressClass,
		Validate: Typed(validation.ValidateIngressClass),
	},
	Columns: []Column{
		{Name: "Controller", Type: "string", Description: "Controller that is responsible for handling this class.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "spec", "controller") }},
		{Name: "Parameters", Type: "string", Description: "A reference to a resource with additional parameters.",
			Cell: func(o map[string]any, _ time.Time) any {
				p := mapAt(o, "spec", "parameters")
				if p == nil {
					return "<none>"
				}
				kind := str(p, "kind")
				if g := str(p, "apiGroup"); g != "" {
					kind += "." + g
				}
				return kind + "/" + str(p, "name")
			}},
		ageColumn,
	},
	Docs: map[string]string{
		"IngressClass":                    "IngressClass represents the class of the Ingress, referenced by the Ingress Spec. The `ingressclass.kubernetes.io/is-default-class` annotation can be used to indicate that an IngressClass should be considered default.",
		"IngressClass.spec":               "spec is the desired state of the IngressClass.",
		"IngressClassSpec":                "IngressClassSpec provides information about the class of an Ingress.",
		"IngressClassSpec.controller":     "controller refers to the name of the controller that should handle this class, a domain-prefixed path such as \"acme.io/ingress-controller\". This field is immutable.",
		"IngressClassSpec.parameters":     "parameters is a link to a custom resource containing additional configuration for the controller.",
		"IngressClassParametersReference": "IngressClassParametersReference identifies an API object. This can be used to specify a cluster or namespace-scoped resource.",
	},
}

func init() { register(ingressClasses) }
