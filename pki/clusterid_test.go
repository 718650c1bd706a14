package pki

import (
	"regexp"
	"testing"
)

func TestClusterID(t *testing.T) {
	f1, f2 := In(t.TempDir()), In(t.TempDir())
	_, ca1, err := Ensure(f1, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	_, ca2, err := Ensure(f2, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	id1, err := ClusterID(ca1)
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id1) {
		t.Fatalf("ClusterID = %q, %v; want 16 hex digits", id1, err)
	}
	if again, err := ClusterIDOf(f1); again != id1 || err != nil {
		t.Errorf("ClusterIDOf(the same CA's files) = %q, %v; want %q", again, err, id1)
	}
	if _, caAgain, _ := Ensure(f1, []string{"127.0.0.1", "::1"}); string(caAgain) != string(ca1) {
		t.Error("the CA changed on a second Ensure")
	}
	if id2, _ := ClusterID(ca2); id2 == id1 {
		t.Errorf("two clusters have the same ID %q", id1)
	}
	for _, bad := range []string{"", "not pem", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"} {
		if id, err := ClusterID([]byte(bad)); err == nil {
			t.Errorf("ClusterID(%q) = %q, want an error", bad, id)
		}
	}
	if _, err := ClusterIDOf(In(t.TempDir())); err == nil {
		t.Error("ClusterIDOf a dir without a CA: no error")
	}
}
