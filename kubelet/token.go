package kubelet

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/minik8s/minik8s/api"
)

// podToken is a ServiceAccount token the kubelet requested for a pod.
type podToken struct {
	token          string
	issued, expiry time.Time
}

// podToken returns a token of the pod's service account for the projection
// p, bound to the pod, from the TokenRequest API (serviceaccounts/token)
// with the node's identity. It is requested again once 80% of its life
// has passed, as the Kubernetes kubelet's token manager does.
func (k *Kubelet) podToken(ctx context.Context, w *podWorker, pod *api.Pod, p *api.ServiceAccountTokenProjection) (string, error) {
	exp := int64(3600)
	if p.ExpirationSeconds != nil {
		exp = *p.ExpirationSeconds
	}
	key := fmt.Sprintf("%s/%d", p.Audience, exp)
	now := k.now()
	if t := w.tokens[key]; t != nil && now.Before(t.issued.Add(t.expiry.Sub(t.issued)*8/10)) {
		return t.token, nil
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := api.TokenRequest{
		TypeMeta: api.TypeMeta{APIVersion: "authentication.k8s.io/v1", Kind: "TokenRequest"},
		Spec: api.TokenRequestSpec{
			ExpirationSeconds: &exp,
			BoundObjectRef:    &api.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID},
		},
	}
	if p.Audience != "" {
		req.Spec.Audiences = []string{p.Audience}
	}
	var resp api.TokenRequest
	path := "/api/v1/namespaces/" + url.PathEscape(pod.Namespace) + "/serviceaccounts/" + url.PathEscape(sa) + "/token"
	if err := w.node.Client.Do(ctx, "POST", path, &req, &resp); err != nil {
		return "", fmt.Errorf("request a token of service account %s/%s: %w", pod.Namespace, sa, err)
	}
	expiry := resp.Status.ExpirationTimestamp.Time
	if expiry.IsZero() || !expiry.After(now) {
		expiry = now.Add(time.Duration(exp) * time.Second)
	}
	if w.tokens == nil {
		w.tokens = map[string]*podToken{}
	}
	w.tokens[key] = &podToken{token: resp.Status.Token, issued: now, expiry: expiry}
	k.log.Debug().Str(logKeyPod, pod.Namespace+"/"+pod.Name).Time("expires", expiry).Msg("requested service account token")
	return resp.Status.Token, nil
}
