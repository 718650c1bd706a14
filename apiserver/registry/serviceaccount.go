package registry

import (
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/field"
	"github.com/minik8s/minik8s/api/validation"
)

// serviceAccounts: core/v1 ServiceAccount, the identity of pods. The
// token subresource (TokenRequest) issues its tokens.
var serviceAccounts = &Resource{
	Version: "v1", Kind: "ServiceAccount", Name: "serviceaccounts", Singular: "serviceaccount", Namespaced: true,
	ShortNames:   []string{"sa"},
	Subresources: []string{"token"},
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
