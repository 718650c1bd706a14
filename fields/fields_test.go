package fields

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Requirement
		str     string
		wantErr string
	}{
		{name: "empty", in: "", str: ""},
		{name: "equals", in: "spec.nodeName=n1", want: []Requirement{{"spec.nodeName", Equals, "n1"}}, str: "spec.nodeName=n1"},
		{name: "double equals", in: "status.phase==Running", want: []Requirement{{"status.phase", Equals, "Running"}}, str: "status.phase=Running"},
		{name: "not equals", in: "status.phase!=Succeeded", want: []Requirement{{"status.phase", NotEquals, "Succeeded"}}, str: "status.phase!=Succeeded"},
		{name: "empty value", in: "spec.nodeName=", want: []Requirement{{"spec.nodeName", Equals, ""}}, str: "spec.nodeName="},
		{name: "and sorted", in: "status.phase!=Failed, metadata.name=web",
			want: []Requirement{{"metadata.name", Equals, "web"}, {"status.phase", NotEquals, "Failed"}},
			str:  "metadata.name=web,status.phase!=Failed"},
		{name: "escapes", in: `metadata.name=a\,b\=c\\d`, want: []Requirement{{"metadata.name", Equals, `a,b=c\d`}}, str: `metadata.name=a\,b\=c\\d`},
		{name: "escaped backslash before comma", in: `a=x\\,b=y`, want: []Requirement{{"a", Equals, `x\`}, {"b", Equals, "y"}}, str: `a=x\\,b=y`},

		{name: "no operator", in: "metadata.name", wantErr: `invalid field selector: "metadata.name": expected field=value`},
		{name: "trailing comma", in: "a=b,", wantErr: `invalid field selector: "": expected`},
		{name: "empty field", in: "=b", wantErr: "empty field name"},
		{name: "unescaped equals", in: "a=b=c", wantErr: `unescaped '=' in value`},
		{name: "bad escape", in: `a=b\n`, wantErr: "invalid escape sequence"},
		{name: "dangling backslash", in: `a=b\`, wantErr: "invalid escape sequence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			got := s.Requirements()
			if len(got) != len(tt.want) {
				t.Fatalf("requirements = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("requirements = %v, want %v", got, tt.want)
				}
			}
			if s.String() != tt.str {
				t.Fatalf("String() = %q, want %q", s.String(), tt.str)
			}
			if again, err := Parse(s.String()); err != nil || again.String() != tt.str {
				t.Fatalf("round trip = %q, %v", again.String(), err)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	obj := map[string]string{"metadata.name": "web", "spec.nodeName": "n1", "status.phase": "Running"}
	get := func(f string) (string, bool) { v, ok := obj[f]; return v, ok }
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"spec.nodeName=n1", true},
		{"spec.nodeName=n2", false},
		{"spec.nodeName!=n2", true},
		{"spec.nodeName!=n1", false},
		{"status.phase=Running,metadata.name=web", true},
		{"status.phase=Running,metadata.name=db", false},
		{"spec.hostname=", true}, // an absent field reads as ""
		{"spec.hostname!=", false},
		{"spec.hostname=x", false},
		{"spec.hostname!=x", true},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, err := Parse(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Matches(get); got != tt.want {
				t.Errorf("%q.Matches = %v, want %v", tt.sel, got, tt.want)
			}
		})
	}
}

func TestCheckFields(t *testing.T) {
	allowed := []string{"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"}
	tests := []struct {
		sel     string
		wantErr string
	}{
		{"", ""},
		{"spec.nodeName=n1,status.phase!=Failed", ""},
		{"spec.foo=x", "field label not supported: spec.foo"},
		{"metadata.name=a,spec.bar=x", "field label not supported: spec.bar"},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, err := Parse(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			err = s.CheckFields(allowed...)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("CheckFields = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		sel    string
		want   string
		wantOK bool
	}{
		{"spec.nodeName=n1", "n1", true},
		{"spec.nodeName==n1", "n1", true},
		{"spec.nodeName=", "", true},
		{"status.phase=Running,spec.nodeName=n1", "n1", true},
		{"spec.nodeName!=n1", "", false},
		{"spec.nodeName!=n2,metadata.name=n1", "", false},
		{"metadata.name=n1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, err := Parse(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := s.Equal("spec.nodeName")
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Equal = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		name string
		sel  Selector
		want string
	}{
		{"everything", Everything(), ""},
		{"zero", Selector{}, ""},
		{"one term", OneTermEqualSelector("spec.nodeName", "a,b"), `spec.nodeName=a\,b`},
		{"from set", SelectorFromSet(map[string]string{"b": "2", "a": "1"}), "a=1,b=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sel.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tt.sel.Empty() != (tt.want == "") {
				t.Errorf("Empty() = %v", tt.sel.Empty())
			}
		})
	}
}
