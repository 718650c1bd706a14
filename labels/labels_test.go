package labels

import (
	"strings"
	"testing"

	"github.com/minik8s/minik8s/api"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // String() of the result
		wantErr string // substring of the error
	}{
		{name: "empty", in: "", want: ""},
		{name: "blank", in: "  ", want: ""},
		{name: "equals", in: "a=b", want: "a=b"},
		{name: "double equals", in: "a==b", want: "a=b"},
		{name: "not equals", in: "a!=b", want: "a!=b"},
		{name: "empty value", in: "a=", want: "a="},
		{name: "empty value then more", in: "a=,b", want: "a=,b"},
		{name: "exists", in: "a", want: "a"},
		{name: "does not exist", in: "!a", want: "!a"},
		{name: "in sorted and deduplicated", in: "env in (prod, dev,prod)", want: "env in (dev,prod)"},
		{name: "notin", in: "env notin (x)", want: "env notin (x)"},
		{name: "in with empty entry", in: "a in (x,)", want: "a in (,x)"},
		{name: "gt", in: "a>1", want: "a>1"},
		{name: "lt", in: "a < 2", want: "a<2"},
		{name: "and sorted by key", in: "z=1, a in (b), !m , k", want: "a in (b),k,!m,z=1"},
		{name: "whitespace everywhere", in: " a = b , c != d ", want: "a=b,c!=d"},
		{name: "prefixed key", in: "app.kubernetes.io/name=web", want: "app.kubernetes.io/name=web"},
		{name: "keyword as value", in: "a=in", want: "a=in"},

		{name: "missing key", in: "=b", wantErr: "unable to parse requirement: found '=', expected: identifier"},
		{name: "trailing comma", in: "a=b,", wantErr: "found end of string, expected: identifier"},
		{name: "double op", in: "a=b=c", wantErr: "found '=', expected: ',' or 'end of string'"},
		{name: "space in value", in: "a=b c", wantErr: "found 'c', expected: ',' or 'end of string'"},
		{name: "bang without key", in: "!", wantErr: "expected: identifier after '!'"},
		{name: "bang with operator", in: "!a=b", wantErr: "found '=', expected: ',' or 'end of string'"},
		{name: "in without parens", in: "a in x", wantErr: "found 'x', expected: '('"},
		{name: "in unclosed", in: "a in (x", wantErr: "found end of string, expected: ',' or ')'"},
		{name: "in empty", in: "a in ()", wantErr: "values set can't be empty"},
		{name: "bad operator", in: "a (b)", wantErr: "found '(', expected: '=', '!=', '==', 'in', 'notin'"},
		{name: "negative not a label value", in: "a<-2", wantErr: `Invalid value: "-2"`},
		{name: "gt not integer", in: "a>b", wantErr: "must be an integer"},
		{name: "bad key", in: "-a=b", wantErr: `unable to parse requirement: key: Invalid value: "-a": name part must consist`},
		{name: "key too long", in: strings.Repeat("k", 64) + "=b", wantErr: "name part must be no more than 63 characters"},
		{name: "empty prefix", in: "/a=b", wantErr: "prefix part must be non-empty"},
		{name: "bad prefix", in: "Example.com/a=b", wantErr: "prefix part must be a lowercase DNS subdomain"},
		{name: "two slashes", in: "a/b/c=d", wantErr: "name part must consist"},
		{name: "bad value", in: "a=b_", wantErr: `values[0]: Invalid value: "b_": a valid label must be`},
		{name: "value too long", in: "a=" + strings.Repeat("v", 64), wantErr: "must be no more than 63 characters"},
		{name: "bad value in set", in: "a in (ok,-no)", wantErr: `values[1]: Invalid value: "-no"`},
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
			if got := s.String(); got != tt.want {
				t.Fatalf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Parse(s.String())
			if err != nil || again.String() != tt.want {
				t.Fatalf("round trip of %q = %q, %v", s.String(), again.String(), err)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	pod := Labels{"app": "web", "env": "prod", "tier": "", "n": "5"}
	tests := []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"app=web", true},
		{"app==web", true},
		{"app=db", false},
		{"missing=x", false},
		{"app!=db", true},
		{"app!=web", false},
		{"missing!=x", true},
		{"tier=", true},
		{"missing=", false},
		{"env in (prod,dev)", true},
		{"env in (dev)", false},
		{"missing in (x)", false},
		{"env notin (dev)", true},
		{"env notin (prod)", false},
		{"missing notin (x)", true},
		{"app", true},
		{"missing", false},
		{"!missing", true},
		{"!app", false},
		{"n>4", true},
		{"n>5", false},
		{"n<6", true},
		{"app>1", false},
		{"missing<1", false},
		{"app=web,env=prod", true},
		{"app=web,env=dev", false},
	}
	for _, tt := range tests {
		t.Run(tt.sel, func(t *testing.T) {
			s, err := Parse(tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Matches(pod); got != tt.want {
				t.Fatalf("%q.Matches(%v) = %v, want %v", tt.sel, pod, got, tt.want)
			}
		})
	}
}

func TestEverythingNothing(t *testing.T) {
	l := map[string]string{"a": "b"}
	if e := Everything(); !e.Empty() || !e.Matches(l) || !e.Matches(nil) {
		t.Error("Everything must be empty and match all labels")
	}
	if n := Nothing(); n.Empty() || n.Matches(l) || n.Matches(nil) {
		t.Error("Nothing must not be empty and must match no labels")
	}
	var zero Selector
	if !zero.Empty() || !zero.Matches(l) {
		t.Error("the zero Selector must match everything")
	}
}

func TestSelectorFromSet(t *testing.T) {
	tests := []struct {
		name   string
		set    map[string]string
		want   string
		labels Labels
		match  bool
	}{
		{name: "nil", set: nil, want: "", labels: Labels{"x": "y"}, match: true},
		{name: "one", set: map[string]string{"app": "web"}, want: "app=web", labels: Labels{"app": "web", "x": "y"}, match: true},
		{name: "sorted", set: map[string]string{"b": "2", "a": "1"}, want: "a=1,b=2", labels: Labels{"a": "1"}, match: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := SelectorFromSet(tt.set)
			if s.String() != tt.want {
				t.Errorf("String() = %q, want %q", s.String(), tt.want)
			}
			if got := s.Matches(tt.labels); got != tt.match {
				t.Errorf("Matches(%v) = %v, want %v", tt.labels, got, tt.match)
			}
		})
	}
}

func TestFromLabelSelector(t *testing.T) {
	tests := []struct {
		name    string
		ls      *api.LabelSelector
		want    string
		empty   bool
		matches map[string]bool // labels String() -> expected
		wantErr string
	}{
		{name: "nil matches nothing", ls: nil, want: "", matches: map[string]bool{"": false, "app=web": false}},
		{name: "empty matches everything", ls: &api.LabelSelector{}, want: "", empty: true,
			matches: map[string]bool{"": true, "app=web": true}},
		{name: "match labels", ls: &api.LabelSelector{MatchLabels: map[string]string{"app": "web", "env": "prod"}},
			want: "app=web,env=prod", matches: map[string]bool{"app=web": false, "app=web,env=prod": true}},
		{name: "expressions", ls: &api.LabelSelector{
			MatchLabels: map[string]string{"app": "web"},
			MatchExpressions: []api.LabelSelectorRequirement{
				{Key: "env", Operator: api.LabelSelectorOpIn, Values: []string{"prod", "dev"}},
				{Key: "tier", Operator: api.LabelSelectorOpNotIn, Values: []string{"db"}},
				{Key: "track", Operator: api.LabelSelectorOpExists},
				{Key: "canary", Operator: api.LabelSelectorOpDoesNotExist},
			}},
			want: "app=web,!canary,env in (dev,prod),tier notin (db),track",
			matches: map[string]bool{
				"app=web,env=dev,track=x":           true,
				"app=web,env=dev":                   false,
				"app=web,env=dev,track=x,tier=db":   false,
				"app=web,env=dev,track=x,canary=1":  false,
				"app=web,env=test,track=x,tier=api": false,
			}},
		{name: "unknown operator", ls: &api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{
			{Key: "a", Operator: "Gt", Values: []string{"1"}}}}, wantErr: `"Gt" is not a valid label selector operator`},
		{name: "in without values", ls: &api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{
			{Key: "a", Operator: api.LabelSelectorOpIn}}}, wantErr: "values set can't be empty"},
		{name: "exists with values", ls: &api.LabelSelector{MatchExpressions: []api.LabelSelectorRequirement{
			{Key: "a", Operator: api.LabelSelectorOpExists, Values: []string{"x"}}}}, wantErr: "values set must be empty"},
		{name: "invalid match label value", ls: &api.LabelSelector{MatchLabels: map[string]string{"a": "no good"}},
			wantErr: "unable to parse requirement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := FromLabelSelector(tt.ls)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.String() != tt.want || s.Empty() != tt.empty {
				t.Errorf("got %q (empty %v), want %q (empty %v)", s.String(), s.Empty(), tt.want, tt.empty)
			}
			for ls, want := range tt.matches {
				l := Labels{}
				if ls != "" {
					for _, kv := range strings.Split(ls, ",") {
						k, v, _ := strings.Cut(kv, "=")
						l[k] = v
					}
				}
				if got := s.Matches(l); got != want {
					t.Errorf("Matches(%s) = %v, want %v", ls, got, want)
				}
			}
		})
	}
}

func TestFormatLabels(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want string
	}{
		{"nil", nil, "<none>"},
		{"empty", map[string]string{}, "<none>"},
		{"sorted", map[string]string{"b": "2", "a": "1", "c": ""}, "a=1,b=2,c="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatLabels(tt.in); got != tt.want {
				t.Errorf("FormatLabels(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"a", true},
		{"A.b-c_d", true},
		{"kubernetes.io/os", true},
		{"app.kubernetes.io/managed-by", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{strings.Repeat("a", 254) + "/x", false},
		{"", false},
		{"a/", false},
		{"_a", false},
		{"a.", false},
		{"a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if err := ValidateKey(tt.key); (err == nil) != tt.ok {
				t.Errorf("ValidateKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
			}
		})
	}
}
