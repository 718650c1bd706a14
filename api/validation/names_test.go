package validation

import (
	"regexp"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		fn   func(string) []string
		in   string
		want int // number of problems
	}{
		{IsDNS1123Label, "my-name", 0},
		{IsDNS1123Label, "123-abc", 0},
		{IsDNS1123Label, "My-Name", 1},
		{IsDNS1123Label, "a.b", 1},
		{IsDNS1123Label, "-a", 1},
		{IsDNS1123Label, "", 1},
		{IsDNS1123Label, long, 1},
		{IsDNS1123Subdomain, "example.com", 0},
		{IsDNS1123Subdomain, "a..b", 1},
		{IsDNS1123Subdomain, "a_b", 1},
		{IsDNS1123Subdomain, strings.Repeat("a.", 127) + "a", 1},
		{IsQualifiedName, "app", 0},
		{IsQualifiedName, "example.com/My_Name.1", 0},
		{IsQualifiedName, "/a", 1},
		{IsQualifiedName, "a/", 2},
		{IsQualifiedName, "a/b/c", 1},
		{IsQualifiedName, "Example.com/a", 1},
		{IsQualifiedName, long, 1},
		{IsQualifiedName, "-a", 1},
		{IsValidLabelValue, "", 0},
		{IsValidLabelValue, "v1.2_x", 0},
		{IsValidLabelValue, "a b", 1},
		{IsValidLabelValue, long, 1},
		{IsValidPortName, "http", 0},
		{IsValidPortName, "h2-c", 0},
		{IsValidPortName, "80", 1},
		{IsValidPortName, "a--b", 1},
		{IsValidPortName, "-http", 1},
		{IsValidPortName, "HTTP", 2},
		{IsValidPortName, "abcdefghijklmnop", 1},
		{IsHTTPHeaderName, "X-Foo", 0},
		{IsHTTPHeaderName, "X Foo", 1},
		{IsEnvVarName, "MY_VAR.1-x", 0},
		{IsEnvVarName, "1abc", 0},
		{IsEnvVarName, "A=B", 1},
		{IsEnvVarName, "é", 1},
		{IsEnvVarName, "", 1},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); len(got) != tt.want {
			t.Errorf("check %q: %d problems %q, want %d", tt.in, len(got), got, tt.want)
		}
	}
}

func TestMessages(t *testing.T) {
	if got, want := IsDNS1123Subdomain("A")[0], `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`; got != want {
		t.Errorf("subdomain message:\n got %s\nwant %s", got, want)
	}
	if got, want := IsDNS1123Label("A")[0], `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`; got != want {
		t.Errorf("label message:\n got %s\nwant %s", got, want)
	}
	if got := NameIsDNSSubdomain("web-", true); got != nil {
		t.Errorf("generateName with trailing dash: %q", got)
	}
	if got := NameIsDNSSubdomain("web-", false); got == nil {
		t.Error("name with trailing dash accepted")
	}
}

// FuzzDNS1123 holds isDNS1123Label and isDNS1123Subdomain to the regular
// expressions Kubernetes validates with.
func FuzzDNS1123(f *testing.F) {
	label := regexp.MustCompile("^" + dns1123LabelFmt + "$")
	subdomain := regexp.MustCompile("^" + dns1123SubdomainFmt + "$")
	for _, s := range []string{"", "a", "-", "a-", "-a", "a-b", "web-7d4b9c-x2x9z", "A", "a.b", "a..b", ".a", "a.",
		"example.com", "a.-b", "a-.b", "1.2.3", "a_b", "ß", "a\n", "kube-system", strings.Repeat("a", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isDNS1123Label(s), label.MatchString(s); got != want {
			t.Errorf("isDNS1123Label(%q) = %t, the regexp says %t", s, got, want)
		}
		if got, want := isDNS1123Subdomain(s), subdomain.MatchString(s); got != want {
			t.Errorf("isDNS1123Subdomain(%q) = %t, the regexp says %t", s, got, want)
		}
	})
}
