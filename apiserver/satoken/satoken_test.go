package satoken

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func newIssuer(t testing.TB) *Issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := New(key, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func claims(now time.Time, ttl time.Duration) Claims {
	return Claims{
		Claims: jwt.Claims{
			Subject: UserName("default", "sa"), Audience: jwt.Audience{DefaultIssuer},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
		},
		Kubernetes: &KubernetesClaim{Namespace: "default", ServiceAccount: Ref{Name: "sa", UID: "u1"}},
	}
}

func TestIssueVerify(t *testing.T) {
	iss := newIssuer(t)
	now := time.Now()
	tok, err := iss.Issue(claims(now, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := iss.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "system:serviceaccount:default:sa" || c.Issuer != DefaultIssuer || c.Kubernetes.ServiceAccount.UID != "u1" {
		t.Fatalf("claims %+v", c)
	}
	// The header names the key Kubernetes' way, and the JWKS holds it.
	hdr, _, _ := strings.Cut(tok, ".")
	hb, _ := base64.RawURLEncoding.DecodeString(hdr)
	var h struct{ Alg, Kid, Typ string }
	_ = json.Unmarshal(hb, &h)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(iss.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if h.Alg != "ES256" || h.Typ != "JWT" || len(set.Keys) != 1 || set.Keys[0].KeyID != h.Kid || !set.Keys[0].IsPublic() {
		t.Fatalf("header %+v, keys %+v", h, set.Keys)
	}
	var disc map[string]any
	if err := json.Unmarshal(iss.Discovery(), &disc); err != nil || disc["issuer"] != DefaultIssuer || disc["jwks_uri"] != DefaultIssuer+"/openid/v1/jwks" {
		t.Fatalf("discovery %v %v", disc, err)
	}
}

func TestVerifyRejects(t *testing.T) {
	iss := newIssuer(t)
	other := newIssuer(t)
	now := time.Now()
	sign := func(i *Issuer, c Claims) string {
		tok, err := i.Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := sign(iss, claims(now, time.Hour))
	parts := strings.Split(good, ".")
	wrongAud := claims(now, time.Hour)
	wrongAud.Audience = jwt.Audience{"https://elsewhere"}
	noK8s := claims(now, time.Hour)
	noK8s.Kubernetes = nil
	wrongSub := claims(now, time.Hour)
	wrongSub.Subject = "system:serviceaccount:kube-system:admin"
	future := claims(now.Add(time.Hour), time.Hour)
	// A payload with a claim changed, under the original signature.
	var payload map[string]any
	pb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(pb, &payload)
	payload["sub"] = "system:serviceaccount:kube-system:admin"
	forgedPayload, _ := json.Marshal(payload)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))

	for name, tc := range map[string]struct {
		token   string
		notMine bool
	}{
		"expired":                 {sign(iss, claims(now.Add(-2*time.Hour), time.Hour)), false},
		"not yet valid":           {sign(iss, future), false},
		"wrong audience":          {sign(iss, wrongAud), false},
		"signed by another key":   {sign(other, claims(now, time.Hour)), false},
		"changed payload":         {parts[0] + "." + base64.RawURLEncoding.EncodeToString(forgedPayload) + "." + parts[2], false},
		"no signature":            {parts[0] + "." + parts[1] + ".", false},
		"alg none":                {noneHeader + "." + parts[1] + ".", true},
		"no kubernetes.io claim":  {sign(iss, noK8s), false},
		"subject of another":      {sign(iss, wrongSub), false},
		"static token":            {"abcdef", true},
		"three dots of garbage":   {"a.b.c", true},
		"empty":                   {"", true},
		"truncated":               {good[:len(good)-10], false},
		"another issuer's claims": {sign(mustIssuer(t, "https://other"), claims(now, time.Hour)), true},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := iss.Verify(tc.token)
			if err == nil {
				t.Fatal("verified")
			}
			if tc.notMine != errors.Is(err, ErrNotMine) {
				t.Fatalf("err = %v, want ErrNotMine %v", err, tc.notMine)
			}
		})
	}
}

func mustIssuer(t *testing.T, name string) *Issuer {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	i, err := New(key, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestEnsureKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFile)
	var wg sync.WaitGroup
	keys := make([]*ecdsa.PrivateKey, 8)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := EnsureKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k == nil || !k.Equal(keys[0]) {
			t.Fatal("processes starting at once got different keys")
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v, want mode 0600", st, err)
	}
	again, err := EnsureKey(path)
	if err != nil || !again.Equal(keys[0]) {
		t.Fatal("a restart made a new key")
	}
	if err := os.WriteFile(path, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureKey(path); err == nil {
		t.Fatal("a corrupt key file was accepted")
	}
}

// FuzzVerify: whatever the token, Verify returns claims or an error,
// never panics, and accepts nothing the issuer did not sign.
func FuzzVerify(f *testing.F) {
	iss := newIssuer(f)
	good, err := iss.Issue(claims(time.Now(), time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("a.b.c")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := iss.Verify(token)
		if err == nil && token != good {
			// Only re-encodings of the one token signed here verify.
			if c.Kubernetes == nil || c.Kubernetes.ServiceAccount.UID != "u1" {
				t.Fatalf("verified a token the issuer did not sign: %q", token)
			}
		}
	})
}
