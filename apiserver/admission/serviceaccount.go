package admission

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/store"
)

// DefaultServiceAccount is the service account of pods that name none.
const DefaultServiceAccount = "default"

// RootCAConfigMap is the ConfigMap every namespace gets with the cluster
// CA (key ca.crt), which pods mount to trust the API server.
const RootCAConfigMap = "kube-root-ca.crt"

// TokenMountPath is where ServiceAccount admission mounts a pod's API
// credentials: token, ca.crt and namespace.
const TokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"

// tokenExpirationSeconds is the lifetime Kubernetes gives a pod's
// projected token (an hour and a little, so that it can tell them apart).
const tokenExpirationSeconds = 3607

// ServiceAccount is Kubernetes' ServiceAccount admission for new pods: it
// defaults spec.serviceAccountName to "default", refuses a pod whose
// service account does not exist (403 `error looking up service account
// ns/name: ...`), and, unless the pod or its service account opts out
// (automountServiceAccountToken: false), adds a projected volume
// kube-api-access-xxxxx (a bound token, the kube-root-ca.crt ConfigMap's
// ca.crt and the namespace) mounted read-only at TokenMountPath in every
// container that mounts nothing there.
type ServiceAccount struct {
	// Accounts caches the service accounts (a miss reads the store).
	Accounts *Cache
	// Wait bounds how long a pod waits for its namespace's "default"
	// service account, which the controller manager creates just after the
	// namespace (0: one second).
	Wait time.Duration
}

// Name implements Plugin.
func (ServiceAccount) Name() string { return "ServiceAccount" }

// Admit implements Mutator.
func (p ServiceAccount) Admit(ctx context.Context, a *Attributes) error {
	if a.Operation != Create || !isPod(a) {
		return nil
	}
	pod := a.Object
	if _, mirror := child(child(pod, "metadata"), "annotations")["kubernetes.io/config.mirror"]; mirror {
		return nil
	}
	spec := ensure(pod, "spec")
	if spec == nil {
		return nil // validation refuses it
	}
	name := str(spec, "serviceAccountName")
	if name == "" {
		name = str(spec, "serviceAccount")
	}
	if name == "" {
		name = DefaultServiceAccount
	}
	spec["serviceAccountName"] = name
	spec["serviceAccount"] = name
	sa, err := p.lookup(ctx, a.Namespace, name)
	if err != nil {
		return Forbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.Namespace, name, err))
	}
	if !automount(sa, spec) {
		return nil
	}
	mountToken(spec)
	return nil
}

// lookup reads the service account, waiting a little for a missing
// "default" one.
func (p ServiceAccount) lookup(ctx context.Context, ns, name string) (*api.ServiceAccount, error) {
	wait := p.Wait
	if wait <= 0 {
		wait = time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		rec, err := p.Accounts.Get(ctx, ns, name)
		if err == nil {
			var sa api.ServiceAccount
			if err := api.UnmarshalTrusted(rec.Value, &sa); err != nil {
				return nil, err
			}
			return &sa, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if name != DefaultServiceAccount || time.Now().After(deadline) {
			return nil, fmt.Errorf("serviceaccount %q not found", name)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// automount reports whether the pod gets a token: the pod's own setting
// wins over its service account's; both default to yes.
func automount(sa *api.ServiceAccount, spec map[string]any) bool {
	if v, ok := spec["automountServiceAccountToken"].(bool); ok {
		return v
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

// mountToken adds the projected token volume, and mounts it in every
// container (init containers too) that mounts nothing at TokenMountPath.
func mountToken(spec map[string]any) {
	var needing []map[string]any
	for _, key := range []string{"initContainers", "containers"} {
		for _, c := range objects(spec, key) {
			mounted := false
			for _, m := range objects(c, "volumeMounts") {
				if str(m, "mountPath") == TokenMountPath {
					mounted = true
				}
			}
			if !mounted {
				needing = append(needing, c)
			}
		}
	}
	if len(needing) == 0 {
		return
	}
	vol := "kube-api-access-" + api.RandomSuffix(5)
	vols, _ := spec["volumes"].([]any)
	spec["volumes"] = append(vols, map[string]any{
		"name": vol,
		"projected": map[string]any{
			"defaultMode": 420,
			"sources": []any{
				map[string]any{"serviceAccountToken": map[string]any{"expirationSeconds": tokenExpirationSeconds, "path": "token"}},
				map[string]any{"configMap": map[string]any{"name": RootCAConfigMap,
					"items": []any{map[string]any{"key": "ca.crt", "path": "ca.crt"}}}},
				map[string]any{"downwardAPI": map[string]any{"items": []any{map[string]any{"path": "namespace",
					"fieldRef": map[string]any{"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}}},
			},
		},
	})
	for _, c := range needing {
		mounts, _ := c["volumeMounts"].([]any)
		c["volumeMounts"] = append(mounts, map[string]any{"name": vol, "readOnly": true, "mountPath": TokenMountPath})
	}
}
