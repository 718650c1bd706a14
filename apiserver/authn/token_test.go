package authn

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    map[string]User // token -> user
		wantErr string
	}{
		{
			name: "kubernetes format with comments and blank lines",
			file: "# header\n\nabc,alice,1001,\"dev,ops\"\n   \ndef,bob,1002\n ghi , carol , 1003 , \" x , y \"\n",
			want: map[string]User{
				"abc": {Name: "alice", UID: "1001", Groups: []string{"dev", "ops"}},
				"def": {Name: "bob", UID: "1002"},
				"ghi": {Name: "carol", UID: "1003", Groups: []string{"x", "y"}},
			},
		},
		{name: "empty file", file: "", want: map[string]User{}},
		{name: "too few columns", file: "# c\nabc,alice,1\nabc,alice\n", wantErr: "line 3: want 3 or 4 columns"},
		{name: "too many columns", file: "a,b,c,d,e\n", wantErr: "line 1: want 3 or 4 columns (token, user, uid[, groups]), found 5"},
		{name: "empty token", file: "a,b,c\n,bob,2\n", wantErr: "line 2: empty token"},
		{name: "empty user", file: "a,,c\n", wantErr: "line 1: empty user name"},
		{name: "duplicate token", file: "a,b,c\n\nx,y,z\na,d,e\n", wantErr: "line 4: duplicate token (first on line 1)"},
		{name: "bad quoting", file: "a,b,c\nd,e,f,\"g\n", wantErr: "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			toks, err := parse(strings.NewReader(tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if toks.Len() != len(tt.want) {
				t.Errorf("Len = %d, want %d", toks.Len(), len(tt.want))
			}
			for tok, want := range tt.want {
				got, ok := toks.Authenticate(tok)
				if !ok || !reflect.DeepEqual(got, want) {
					t.Errorf("Authenticate(%q) = %+v, %v; want %+v", tok, got, ok, want)
				}
			}
			for _, bad := range []string{"", "ab", "abcd", "ABC", "alice"} {
				if u, ok := toks.Authenticate(bad); ok {
					t.Errorf("Authenticate(%q) = %+v, want no user", bad, u)
				}
			}
		})
	}
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(path, []byte("a,b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path+": line 1:") {
		t.Fatalf("Load = %v, want an error naming the file and line", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}

func TestEnsureTokenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "tokens.csv")

	tok, created, err := EnsureTokenFile(path)
	if err != nil || !created {
		t.Fatalf("first EnsureTokenFile = %q, %v, %v; want a created token", tok, created, err)
	}
	if len(tok) < 43 {
		t.Errorf("token %q is shorter than 32 random bytes encoded", tok)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	toks, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	u, ok := toks.Authenticate(tok)
	if want := (User{Name: "admin", UID: "admin", Groups: []string{MastersGroup}}); !ok || !reflect.DeepEqual(u, want) {
		t.Errorf("admin token authenticates as %+v, %v; want %+v", u, ok, want)
	}

	again, created, err := EnsureTokenFile(path)
	if err != nil || created || again != tok {
		t.Fatalf("second EnsureTokenFile = %q, %v, %v; want %q, not created", again, created, err, tok)
	}

	other, _, err := EnsureTokenFile(filepath.Join(t.TempDir(), "tokens.csv"))
	if err != nil || other == tok {
		t.Fatalf("a second file got token %q (err %v); tokens must be random", other, err)
	}
}

func TestEnsureTokenFileFindsFirstMaster(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	file := "u1,alice,1,dev\nm1,root,0,\"dev,system:masters\"\nm2,admin,admin,system:masters\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, created, err := EnsureTokenFile(path)
	if err != nil || created || tok != "m1" {
		t.Fatalf("EnsureTokenFile = %q, %v, %v; want m1, not created", tok, created, err)
	}

	if err := os.WriteFile(path, []byte("u1,alice,1,dev\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := EnsureTokenFile(path); err == nil || !strings.Contains(err.Error(), "no token in group system:masters") {
		t.Fatalf("EnsureTokenFile without a master = %v, want an error", err)
	}
}

func TestAddToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	if err := AddToken(path, "sched-token", "system:kube-scheduler", nil); err != nil {
		t.Fatal(err)
	}
	// An unterminated last line must not swallow the next record.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("hand,edited,3"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := AddToken(path, "node-token", "system:node:n1", []string{"system:nodes", "system:authenticated"}); err != nil {
		t.Fatal(err)
	}

	toks, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]User{
		"sched-token": {Name: "system:kube-scheduler", UID: "system:kube-scheduler"},
		"hand":        {Name: "edited", UID: "3"},
		"node-token":  {Name: "system:node:n1", UID: "system:node:n1", Groups: []string{"system:nodes", "system:authenticated"}},
	}
	if toks.Len() != len(want) {
		t.Errorf("Len = %d, want %d", toks.Len(), len(want))
	}
	for tok, w := range want {
		if u, ok := toks.Authenticate(tok); !ok || !reflect.DeepEqual(u, w) {
			t.Errorf("Authenticate(%q) = %+v, %v; want %+v", tok, u, ok, w)
		}
	}

	for _, tc := range []struct{ token, user string }{
		{"node-token", "x"}, // duplicate
		{"", "x"},
		{"a,b", "x"},
		{"a b", "x"},
		{"ok", ""},
	} {
		if err := AddToken(path, tc.token, tc.user, nil); err == nil {
			t.Errorf("AddToken(%q, %q) succeeded, want an error", tc.token, tc.user)
		}
	}
}

func TestAuthenticateReturnsACopy(t *testing.T) {
	toks, err := parse(strings.NewReader("t,u,1,\"a,b\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := toks.Authenticate("t")
	u.Groups[0] = MastersGroup
	if again, _ := toks.Authenticate("t"); again.Groups[0] != "a" {
		t.Fatalf("mutating a returned user changed the loaded tokens: %v", again.Groups)
	}
}

// TestAuthenticateAmongMany: with a node's token per line for a thousand
// nodes, every token finds its own user, and a near miss finds none.
func TestAuthenticateAmongMany(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "token-%04d,system:node:n%d,uid-%d,system:nodes\n", i, i, i)
	}
	toks, err := parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 500, 999} {
		u, ok := toks.Authenticate(fmt.Sprintf("token-%04d", i))
		if want := fmt.Sprintf("system:node:n%d", i); !ok || u.Name != want {
			t.Errorf("token %d: %q, %v; want %q", i, u.Name, ok, want)
		}
	}
	for _, guess := range []string{"token-1000", "token-000", "token-0000 ", "TOKEN-0001"} {
		if u, ok := toks.Authenticate(guess); ok {
			t.Errorf("%q authenticated as %q", guess, u.Name)
		}
	}
}

func TestEnsureUserAndReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	if _, _, err := EnsureTokenFile(path); err != nil {
		t.Fatal(err)
	}
	toks, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := EnsureUser(path, SchedulerUser, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsureUser(path, SchedulerUser, nil)
	if err != nil || again != tok {
		t.Fatalf("second start got a new token %q (%v), want the first %q", again, err, tok)
	}
	node, err := EnsureUser(path, NodeUser("n1"), []string{NodesGroup})
	if err != nil {
		t.Fatal(err)
	}
	// Appended after the API server loaded the file: still accepted.
	if u, ok := toks.Authenticate(tok); !ok || u.Name != SchedulerUser {
		t.Fatalf("component token appended later: %+v %v", u, ok)
	}
	if u, ok := toks.Authenticate(node); !ok || u.Name != "system:node:n1" || !u.InGroup(NodesGroup) {
		t.Fatalf("node token: %+v %v", u, ok)
	}
	if _, ok := toks.Authenticate("not-a-token"); ok {
		t.Fatal("unknown token accepted")
	}
	if toks.Len() != 3 {
		t.Fatalf("Len = %d, want 3", toks.Len())
	}
}

// EnsureUsers gives each user its token, in order: the one the file holds,
// or a new one, all new ones appended at once; a second call changes
// nothing.
func TestEnsureUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	if _, _, err := EnsureTokenFile(path); err != nil {
		t.Fatal(err)
	}
	n1, err := EnsureUser(path, NodeUser("n1"), []string{NodesGroup})
	if err != nil {
		t.Fatal(err)
	}
	users := []string{NodeUser("n0"), NodeUser("n1"), NodeUser("n2")}
	toks, err := EnsureUsers(path, users, []string{NodesGroup})
	if err != nil || len(toks) != 3 || toks[1] != n1 || toks[0] == toks[2] || toks[0] == n1 {
		t.Fatalf("EnsureUsers = %q, %v; want n1's token %q second among three distinct", toks, err, n1)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsureUsers(path, users, []string{NodesGroup})
	if err != nil || !slices.Equal(again, toks) {
		t.Fatalf("second call = %q, %v; want %q", again, err, toks)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Error("a second call changed the file")
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range users {
		if got, ok := loaded.Authenticate(toks[i]); !ok || got.Name != u || !got.InGroup(NodesGroup) {
			t.Errorf("token of %s authenticates as %+v, %v", u, got, ok)
		}
	}
	if _, err := EnsureUsers(path, []string{" "}, nil); err == nil {
		t.Error("an empty user name was accepted")
	}
}
