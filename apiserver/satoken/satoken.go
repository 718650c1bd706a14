package satoken

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DefaultIssuer is the issuer (and default API audience) of a cluster's
// tokens, Kubernetes' usual --service-account-issuer.
const DefaultIssuer = "https://kubernetes.default.svc.cluster.local"

// KeyFile is the signing key's file name in the data directory.
const KeyFile = "sa.key"

// The service account groups and user name prefix, as Kubernetes names
// them.
const (
	AllGroup   = "system:serviceaccounts"
	UserPrefix = "system:serviceaccount:"
)

// UserName is the user name of service account name in namespace ns.
func UserName(ns, name string) string { return UserPrefix + ns + ":" + name }

// Groups are the groups of a service account of namespace ns.
func Groups(ns string) []string { return []string{AllGroup, AllGroup + ":" + ns} }

// leeway is the clock skew tolerated on exp and nbf.
const leeway = time.Minute

// ErrNotMine is a token that is not a JWT this issuer made: another
// authenticator may know it.
var ErrNotMine = errors.New("not a service account token of this issuer")

// Ref names an object a token is about: a service account, or the pod or
// secret it is bound to.
type Ref struct {
	Name string `json:"name"`
	UID  string `json:"uid"`
}

// KubernetesClaim is the private "kubernetes.io" claim.
type KubernetesClaim struct {
	Namespace      string           `json:"namespace"`
	ServiceAccount Ref              `json:"serviceaccount"`
	Pod            *Ref             `json:"pod,omitempty"`
	Secret         *Ref             `json:"secret,omitempty"`
	WarnAfter      *jwt.NumericDate `json:"warnafter,omitempty"`
}

// Claims are a token's claims.
type Claims struct {
	jwt.Claims
	Kubernetes *KubernetesClaim `json:"kubernetes.io,omitempty"`
}

// Issuer signs and verifies the tokens of one cluster.
type Issuer struct {
	key       *ecdsa.PrivateKey
	kid       string
	issuer    string
	audiences []string
	signer    jose.Signer
	now       func() time.Time
}

// New returns an issuer named issuer ("" for DefaultIssuer) that signs
// with key and accepts tokens for audiences (none: the issuer itself, as
// Kubernetes defaults its API audiences).
func New(key *ecdsa.PrivateKey, issuer string, audiences []string) (*Issuer, error) {
	if key == nil {
		return nil, errors.New("satoken: a key is required")
	}
	if issuer == "" {
		issuer = DefaultIssuer
	}
	if len(audiences) == 0 {
		audiences = []string{issuer}
	}
	kid, err := keyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		return nil, fmt.Errorf("satoken: make signer: %w", err)
	}
	return &Issuer{key: key, kid: kid, issuer: issuer, audiences: slices.Clone(audiences), signer: signer, now: time.Now}, nil
}

// keyID is Kubernetes' key id: the unpadded base64url SHA-256 of the
// public key's DER.
func keyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("satoken: encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// Name is the issuer's URL, the iss of its tokens.
func (i *Issuer) Name() string { return i.issuer }

// Audiences are the audiences the API server accepts, the default of a
// TokenRequest.
func (i *Issuer) Audiences() []string { return slices.Clone(i.audiences) }

// Now is the issuer's clock.
func (i *Issuer) Now() time.Time { return i.now() }

// SetClock replaces the clock (tests).
func (i *Issuer) SetClock(now func() time.Time) { i.now = now }

// Issue signs c, setting iss to the issuer.
func (i *Issuer) Issue(c Claims) (string, error) {
	c.Issuer = i.issuer
	tok, err := jwt.Signed(i.signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// Verify checks token as the package documentation says and returns its
// claims.
func (i *Issuer) Verify(token string) (*Claims, error) {
	// Cheap checks first, so that static tokens cost no JSON parsing.
	if strings.Count(token, ".") != 2 {
		return nil, ErrNotMine
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		return nil, ErrNotMine
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil || unverified.Issuer != i.issuer {
		return nil, ErrNotMine
	}
	var c Claims
	if err := tok.Claims(&i.key.PublicKey, &c); err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: i.issuer, AnyAudience: i.audiences, Time: i.now()}, leeway); err != nil {
		return nil, fmt.Errorf("verify token: %w", err)
	}
	if c.Expiry == nil {
		return nil, errors.New("verify token: no expiry")
	}
	k := c.Kubernetes
	if k == nil || k.Namespace == "" || k.ServiceAccount.Name == "" || k.ServiceAccount.UID == "" ||
		c.Subject != UserName(k.Namespace, k.ServiceAccount.Name) {
		return nil, errors.New("verify token: not a service account token")
	}
	return &c, nil
}

// Discovery is the issuer's OpenID discovery document, served at
// /.well-known/openid-configuration.
func (i *Issuer) Discovery() []byte {
	b, _ := json.Marshal(map[string]any{
		"issuer":                                i.issuer,
		"jwks_uri":                              i.issuer + "/openid/v1/jwks",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(jose.ES256)},
	})
	return b
}

// JWKS is the issuer's public key set, served at /openid/v1/jwks.
func (i *Issuer) JWKS() []byte {
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &i.key.PublicKey, KeyID: i.kid, Algorithm: string(jose.ES256), Use: "sig",
	}}})
	return b
}

// EnsureKey returns the signing key in path, making it (P-256, PEM, mode
// 0600) if there is none. Of several processes starting at once, one
// writes the key and the others read it.
func EnsureKey(path string) (*ecdsa.PrivateKey, error) {
	if k, err := readKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("write service account key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		return nil, fmt.Errorf("write service account key: %w", err)
	}
	// A link fails if the file exists: whoever links first wins, and
	// everyone reads the winner's key.
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("write service account key: %w", err)
	}
	return readKey(path)
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, _ := pem.Decode(b)
	if p == nil {
		return nil, fmt.Errorf("service account key %s is not PEM", path)
	}
	k, err := x509.ParseECPrivateKey(p.Bytes)
	if err != nil {
		return nil, fmt.Errorf("service account key %s: %w", path, err)
	}
	return k, nil
}
