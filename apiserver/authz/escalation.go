package authz

import (
	"fmt"
	"sort"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/authn"
)

// ConfirmNoEscalation checks that u already holds every permission of
// rules in namespace ns ("" for cluster-wide), as Kubernetes'
// validation.ConfirmNoEscalation. It returns "" when u does, and otherwise
// the reason of Kubernetes' 403: `user "alice" (groups=["..."]) is
// attempting to grant RBAC permissions not currently held:` and the
// missing rules, one per line.
func (r *RBAC) ConfirmNoEscalation(u authn.User, ns string, rules []api.PolicyRule) string {
	owner, errs := r.RulesFor(u, ns)
	ok, missing := Covers(owner, rules)
	if ok {
		return ""
	}
	var lines []string
	for _, m := range Compact(missing) {
		lines = append(lines, CompactString(m))
	}
	sort.Strings(lines)
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s",
		u.Name, u.Groups, strings.Join(lines, "\n"))
	if len(errs) > 0 {
		msg += fmt.Sprintf("; resolution errors: %v", errs)
	}
	return msg
}
