package authn

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MastersGroup is the group whose members the API server treats as cluster
// administrators, as Kubernetes' system:masters.
const MastersGroup = "system:masters"

// AdminUser is the user name EnsureTokenFile creates the first token for.
const AdminUser = "admin"

// The control plane's own identities, as Kubernetes names them. Each
// component gets a token of its own in the token file (EnsureUser), so
// that the API server can tell its traffic from people's.
const (
	SchedulerUser         = "system:kube-scheduler"
	ControllerManagerUser = "system:kube-controller-manager"
	// NodesGroup holds every node agent, each user NodeUserPrefix+name.
	NodesGroup     = "system:nodes"
	NodeUserPrefix = "system:node:"
)

// NodeUser is the user name of the node agent of node name.
func NodeUser(name string) string { return NodeUserPrefix + name }

// User is an authenticated identity.
type User struct {
	Name   string
	UID    string
	Groups []string
	// Extra holds what else the authenticator knows (a service account
	// token's pod, as authentication.kubernetes.io/pod-name), shown by
	// SelfSubjectReview.
	Extra map[string][]string
}

// InGroup reports whether u is a member of group.
func (u User) InGroup(group string) bool { return slices.Contains(u.Groups, group) }

type entry struct {
	token string
	user  User
}

// Tokens is a loaded token file. It is safe for concurrent use. When a
// token is not found, the file is read again if it changed since it was
// loaded, so that lines appended later (a component's first start) take
// effect without a restart; a file that no longer parses keeps the tokens
// loaded before.
type Tokens struct {
	entries []entry // immutable once parsed
	// byDigest finds an entry by its token's SHA-256. Looking up the hash
	// rather than the token means a lookup's timing can only tell about
	// the hash of a guess, which says nothing about any token, and it
	// costs the same with ten tokens or with a thousand nodes' (Kubernetes'
	// token file authenticator looks its tokens up in a map too).
	byDigest map[[sha256.Size]byte]int

	path  string
	mu    sync.Mutex
	stamp fileStamp
	cur   atomic.Pointer[Tokens] // the latest parse of path; nil: t itself
}

// fileStamp tells whether a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

// Load reads and parses the token file at path. A malformed line is an error
// naming the file and line. Duplicate tokens are an error too, since it
// would be ambiguous which user they stand for.
func Load(path string) (*Tokens, error) {
	st, err := stampOf(path)
	if err != nil {
		return nil, fmt.Errorf("open token file: %w", err)
	}
	t, err := loadFile(path)
	if err != nil {
		return nil, err
	}
	t.path, t.stamp = path, st
	return t, nil
}

func loadFile(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open token file: %w", err)
	}
	defer f.Close()
	t, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return t, nil
}

// current returns the latest parse of the file.
func (t *Tokens) current() *Tokens {
	if c := t.cur.Load(); c != nil {
		return c
	}
	return t
}

// reload parses the file again if it changed, and reports whether it did.
func (t *Tokens) reload() bool {
	if t.path == "" {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := stampOf(t.path)
	if err != nil || st == t.stamp {
		return false
	}
	n, err := loadFile(t.path)
	if err != nil {
		return false
	}
	t.stamp = st
	t.cur.Store(n)
	return true
}

func parse(r io.Reader) (*Tokens, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	t := &Tokens{byDigest: make(map[[sha256.Size]byte]int)}
	seen := make(map[string]int) // token -> line
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %w", pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("read: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a line of only spaces: blank
		}
		if len(rec) < 3 || len(rec) > 4 {
			return nil, fmt.Errorf("line %d: want 3 or 4 columns (token, user, uid[, groups]), found %d", line, len(rec))
		}
		tok, name, uid := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1]), strings.TrimSpace(rec[2])
		switch {
		case tok == "":
			return nil, fmt.Errorf("line %d: empty token", line)
		case name == "":
			return nil, fmt.Errorf("line %d: empty user name", line)
		}
		if prev, ok := seen[tok]; ok {
			return nil, fmt.Errorf("line %d: duplicate token (first on line %d)", line, prev)
		}
		seen[tok] = line
		u := User{Name: name, UID: uid}
		if len(rec) == 4 {
			u.Groups = splitGroups(rec[3])
		}
		t.byDigest[sha256.Sum256([]byte(tok))] = len(t.entries)
		t.entries = append(t.entries, entry{token: tok, user: u})
	}
}

func splitGroups(s string) []string {
	var gs []string
	for g := range strings.SplitSeq(s, ",") {
		if g = strings.TrimSpace(g); g != "" {
			gs = append(gs, g)
		}
	}
	return gs
}

// Authenticate returns the user token belongs to. It looks up the token's
// SHA-256, so the lookup's timing cannot reveal how close a guess was to a
// token.
func (t *Tokens) Authenticate(token string) (User, bool) {
	if token == "" {
		return User{}, false
	}
	if u, ok := t.current().authenticate(token); ok {
		return u, true
	}
	// Look again even if this call did not reload: a concurrent request
	// may have just loaded the lines this token is on.
	t.reload()
	return t.current().authenticate(token)
}

func (t *Tokens) authenticate(token string) (User, bool) {
	found, ok := t.byDigest[sha256.Sum256([]byte(token))]
	if !ok {
		return User{}, false
	}
	u := t.entries[found].user
	u.Groups = slices.Clone(u.Groups) // callers may not mutate the shared entry
	return u, true
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.current().entries) }

// NewToken returns a fresh random token: 32 bytes from crypto/rand,
// base64url-encoded without padding (43 characters, no commas or quotes).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const fileHeader = "# minik8s static token file: token,user,uid,\"group1,group2\"\n"

// EnsureTokenFile returns the administrator token from the token file at
// path, creating the file first if it does not exist.
//
// On creation (created == true) the file's directory is made if needed, and
// the file gets mode 0600 and one line: a NewToken for user "admin" (uid
// "admin") in group system:masters. If the file exists, adminToken is the
// first token whose groups include system:masters; a file without one, or a
// malformed file, is an error.
func EnsureTokenFile(path string) (adminToken string, created bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("create token file directory: %w", err)
	}
	tok, err := NewToken()
	if err != nil {
		return "", false, err
	}
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	if err := writeRecord(&buf, tok, AdminUser, AdminUser, []string{MastersGroup}); err != nil {
		return "", false, err
	}
	// O_EXCL: of two processes starting at once, one creates and the other
	// reads what it wrote.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if _, err := f.Write(buf.Bytes()); err != nil {
			f.Close()
			return "", false, fmt.Errorf("write token file: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return "", false, fmt.Errorf("sync token file: %w", err)
		}
		if err := f.Close(); err != nil {
			return "", false, fmt.Errorf("close token file: %w", err)
		}
		return tok, true, nil
	case !errors.Is(err, fs.ErrExist):
		return "", false, fmt.Errorf("create token file: %w", err)
	}
	t, err := Load(path)
	if err != nil {
		return "", false, err
	}
	for _, e := range t.entries {
		if e.user.InGroup(MastersGroup) {
			return e.token, false, nil
		}
	}
	return "", false, fmt.Errorf("token file %s: no token in group %s", path, MastersGroup)
}

// AddToken appends a line for token, user (also used as the uid, as
// Kubernetes' local-up-cluster does) and groups to the token file at path,
// creating it with mode 0600 if it does not exist. It fails if the existing
// file is malformed or already holds token, or if token is empty or not a
// plain word (it may not hold commas, quotes, spaces or line breaks).
// Tokens already loaded do not see the new line.
func AddToken(path, token, user string, groups []string) error {
	if token == "" || strings.ContainsAny(token, ",\"# \t\r\n") || strings.TrimSpace(user) == "" {
		return fmt.Errorf("add token: token must be a non-empty plain word and user non-empty")
	}
	old, t, err := readFile(path)
	if err != nil {
		return err
	}
	if _, ok := t.Authenticate(token); ok {
		return fmt.Errorf("add token: token already in %s", path)
	}
	return appendRecords(path, old, []record{{token, user, groups}})
}

type record struct {
	token, user string
	groups      []string
}

// readFile reads and parses the token file at path: empty if it does not
// exist.
func readFile(path string) ([]byte, *Tokens, error) {
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &Tokens{}, nil
	case err != nil:
		return nil, nil, fmt.Errorf("read token file: %w", err)
	}
	t, err := parse(bytes.NewReader(old))
	if err != nil {
		return nil, nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return old, t, nil
}

// appendRecords appends recs, in one write, to the token file at path,
// whose content was old, creating it with mode 0600 if it does not exist.
func appendRecords(path string, old []byte, recs []record) error {
	var buf bytes.Buffer
	if len(old) == 0 {
		buf.WriteString(fileHeader)
	} else if old[len(old)-1] != '\n' {
		buf.WriteByte('\n') // don't glue the new record onto an unterminated last line
	}
	for _, r := range recs {
		if err := writeRecord(&buf, r.token, r.user, r.user, r.groups); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open token file: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("append to token file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close token file: %w", err)
	}
	return nil
}

func writeRecord(w io.Writer, token, user, uid string, groups []string) error {
	cw := csv.NewWriter(w)
	rec := []string{token, user, uid}
	if len(groups) > 0 {
		rec = append(rec, strings.Join(groups, ","))
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("encode token record: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("encode token record: %w", err)
	}
	return nil
}

// EnsureUser returns user's token from the token file at path, appending a
// line with a NewToken for user (uid user, in groups) if the file has none
// for that user, and creating the file (mode 0600) if needed. A component
// calls it on every start: the first creates its credential, later ones
// reuse it.
func EnsureUser(path, user string, groups []string) (string, error) {
	toks, err := EnsureUsers(path, []string{user}, groups)
	if err != nil {
		return "", err
	}
	return toks[0], nil
}

// EnsureUsers is EnsureUser for many users (all in groups), their tokens
// in their order, reading the file once and appending in one write: a
// kubelet running a thousand simulated nodes would otherwise read a
// growing file once per node.
func EnsureUsers(path string, users []string, groups []string) ([]string, error) {
	old, t, err := readFile(path)
	if err != nil {
		return nil, err
	}
	have := make(map[string]string, len(t.entries))
	for _, e := range t.entries {
		if _, ok := have[e.user.Name]; !ok {
			have[e.user.Name] = e.token
		}
	}
	toks := make([]string, len(users))
	var add []record
	for i, u := range users {
		if strings.TrimSpace(u) == "" {
			return nil, fmt.Errorf("add token: user must be non-empty")
		}
		tok, ok := have[u]
		if !ok {
			if tok, err = NewToken(); err != nil {
				return nil, err
			}
			have[u] = tok
			add = append(add, record{tok, u, groups})
		}
		toks[i] = tok
	}
	if len(add) == 0 {
		return toks, nil
	}
	return toks, appendRecords(path, old, add)
}
