package apiserver

import (
	"testing"

	"github.com/minik8s/minik8s/store"
)

// FuzzContinueToken: any continue parameter decodes to a key or a 400,
// never a panic; a key it decodes to, encoded again, decodes to itself, in
// one namespace, across namespaces and for a cluster-scoped list.
func FuzzContinueToken(f *testing.F) {
	for _, seed := range []string{
		encodeContinue(store.Prefix{Resource: "pods"}, store.Key{Namespace: "a", Name: "p"}, 5),
		encodeContinue(store.Prefix{Resource: "pods", Namespace: "a"}, store.Key{Namespace: "a", Name: "p"}, -1),
		encodeContinue(store.Prefix{Resource: "nodes"}, store.Key{Name: "n1"}, 7),
		"", "?", "e30", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIuLi94XHUwMDAwIn0",
	} {
		f.Add(seed, uint8(0))
	}
	prefixes := []struct {
		p          store.Prefix
		namespaced bool
	}{
		{store.Prefix{Resource: "pods"}, true},
		{store.Prefix{Resource: "pods", Namespace: "a"}, true},
		{store.Prefix{Resource: "nodes"}, false},
	}
	f.Fuzz(func(t *testing.T, token string, which uint8) {
		pr := prefixes[int(which)%len(prefixes)]
		k, rev, err := decodeContinue(pr.p, pr.namespaced, token)
		if err != nil {
			if se, ok := err.(*statusError); !ok || se.s.Code != 400 {
				t.Fatalf("decode %q: %v, want a 400 Status", token, err)
			}
			return
		}
		if k.Name == "" || rev == 0 || rev < -1 {
			t.Fatalf("decode %q: key %+v at %d", token, k, rev)
		}
		again, rev2, err := decodeContinue(pr.p, pr.namespaced, encodeContinue(pr.p, k, rev))
		if err != nil || again != k || rev2 != rev {
			t.Fatalf("%q decodes to %+v at %d, which encodes to %+v at %d (%v)", token, k, rev, again, rev2, err)
		}
	})
}
