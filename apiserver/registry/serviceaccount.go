package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// serviceAccounts: core/v1 ServiceAccount, the identity of pods. The
// token subresource (TokenRequest) issues its tokens. The system
// namespaces' "default" accounts are bootstrapped with them, so that pods
// can be created there before the controller manager (whose service
// account controller gives every other namespace its own) has started.
var serviceAccounts = &Resource{
	Version: "v1", Kind: "ServiceAccount", Name: "serviceaccounts", Singular: "serviceaccount", Namespaced: true,
	ShortNames:   []string{"sa"},
	Subresources: []string{"token"},
	Bootstrap:    defaultServiceAccounts("default", "kube-system", "kube-public", "kube-node-lease"),
	Schema:       GoType[api.ServiceAccount](),
	Strategy: Strategy{Validate: Typed(func(sa, _ *api.ServiceAccount) field.ErrorList {
		return validation.ValidateObjectMeta(&sa.ObjectMeta, true, validation.NameIsDNSSubdomain, field.NewPath("metadata"))
	})},
	Columns: []Column{
		{Name: "Secrets", Type: "integer", Description: "The number of secrets the service account lists.",
			Cell: func(o map[string]any, _ time.Time) any { return len(list(o, "secrets")) }},
	},
	Docs: map[string]string{
		"ServiceAccount":                              "ServiceAccount binds together a name, understood by users and perhaps by peripheral systems, for an identity; and a set of secrets.",
		"ServiceAccount.secrets":                      "Secrets is a list of the secrets in the same namespace that pods running as this service account may use.",
		"ServiceAccount.imagePullSecrets":             "ImagePullSecrets are references to secrets in the same namespace to use for pulling the images of pods that use this service account.",
		"ServiceAccount.automountServiceAccountToken": "AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted.",
	},
}

func init() { register(serviceAccounts) }

// defaultServiceAccounts are the "default" service accounts of namespaces.
func defaultServiceAccounts(namespaces ...string) []Object {
	out := make([]Object, len(namespaces))
	for i, ns := range namespaces {
		out[i] = Object{"metadata": map[string]any{"name": "default", "namespace": ns}}
	}
	return out
}
