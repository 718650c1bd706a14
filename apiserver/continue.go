package apiserver

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/store"
)

// A continue token is Kubernetes' own: unpadded URL-safe base64 of
// {"v":"meta.k8s.io/v1","rv":<revision>,"start":<key>}, where start is the
// key to resume at, relative to the list's prefix ("name" in one namespace
// or for a cluster-scoped resource, "namespace/name" across namespaces),
// followed by a NUL byte: the first key after the last one returned. rv is
// the revision every page shows; -1 resumes at the newest (the token a 410
// for an expired one carries).
type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion int64  `json:"rv"`
	StartKey        string `json:"start"`
}

const continueAPIVersion = "meta.k8s.io/v1"

// Kubernetes' 410 messages for a list whose revision the store has
// compacted: without and with a continue token.
const (
	listTooOld           = "The resourceVersion for the provided list is too old."
	inconsistentContinue = "The provided continue parameter is too old to display a consistent list result. " +
		"You can start a new list without the continue parameter, or use the continue token in this response " +
		"to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent " +
		"list - objects that were created, modified, or deleted between the time the first chunk was returned " +
		"and now may show up in the list."
)

// encodeContinue is the token that resumes a list of p at rev after key k.
func encodeContinue(p store.Prefix, k store.Key, rev int64) string {
	start := k.Name
	if p.Namespace == "" && k.Namespace != "" {
		start = k.Namespace + "/" + k.Name
	}
	b, _ := json.Marshal(continueToken{APIVersion: continueAPIVersion, ResourceVersion: rev, StartKey: start + "\x00"})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeContinue reads a token for a list of p: the key to resume after
// and the revision (-1: the newest). A token that does not decode is a 400
// worded as Kubernetes words it.
func decodeContinue(p store.Prefix, namespaced bool, token string) (store.Key, int64, error) {
	k, rev, err := parseContinue(p, namespaced, token)
	if err != nil {
		return store.Key{}, 0, badRequest("invalid continue token: continue key is not valid: %v", err)
	}
	return k, rev, nil
}

func parseContinue(p store.Prefix, namespaced bool, token string) (store.Key, int64, error) {
	data, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return store.Key{}, 0, err
	}
	var c continueToken
	if err := json.Unmarshal(data, &c); err != nil {
		return store.Key{}, 0, err
	}
	switch {
	case c.APIVersion != continueAPIVersion:
		return store.Key{}, 0, fmt.Errorf("server does not recognize this encoded version %q", c.APIVersion)
	case c.ResourceVersion == 0:
		return store.Key{}, 0, errors.New("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
	case c.StartKey == "":
		return store.Key{}, 0, errors.New("encoded start key empty (version meta.k8s.io/v1)")
	}
	// As Kubernetes does, refuse a key that path.Clean would change, so that
	// it cannot reach outside the list's prefix.
	if clean := "/" + strings.TrimPrefix(c.StartKey, "/"); path.Clean(clean) != clean {
		return store.Key{}, 0, errors.New(c.StartKey)
	}
	// This server's tokens always resume just after a key.
	start, ok := strings.CutSuffix(c.StartKey, "\x00")
	if !ok || strings.Contains(start, "\x00") {
		return store.Key{}, 0, errors.New(c.StartKey)
	}
	k := store.Key{Resource: p.Resource, Namespace: p.Namespace, Name: start}
	if namespaced && p.Namespace == "" {
		if k.Namespace, k.Name, ok = strings.Cut(start, "/"); !ok {
			return store.Key{}, 0, errors.New(c.StartKey)
		}
	}
	if k.Name == "" || strings.Contains(k.Name, "/") {
		return store.Key{}, 0, errors.New(c.StartKey)
	}
	rev := c.ResourceVersion
	if rev < 0 {
		rev = -1
	}
	return k, rev, nil
}

// continueExpired is the 410 for a continue token whose revision the store
// has compacted; its metadata.continue resumes after the same key at the
// newest revision.
func continueExpired(p store.Prefix, after store.Key) *statusError {
	se := newStatus(http.StatusGone, api.StatusReasonExpired, inconsistentContinue)
	se.s.Continue = encodeContinue(p, after, -1)
	return se
}
