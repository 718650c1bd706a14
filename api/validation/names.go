package validation

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// The formats and messages of Kubernetes' apimachinery validation.
const (
	dns1123LabelFmt        = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123LabelErrMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
	dns1035LabelFmt        = "[a-z]([-a-z0-9]*[a-z0-9])?"
	dns1035LabelErrMsg     = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
	dns1123SubdomainFmt    = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
	dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
	qualifiedNameFmt       = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
	qualifiedNameErrMsg    = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	labelValueFmt          = "(" + qualifiedNameFmt + ")?"
	labelValueErrMsg       = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	httpHeaderNameFmt      = "[-A-Za-z0-9]+"
	httpHeaderNameErrMsg   = "a valid HTTP header must consist of alphanumeric characters or '-'"
	envVarNameErrMsg       = "a valid environment variable name must consist only of printable ASCII characters other than '='"

	// DNS1123LabelMaxLength is the longest DNS-1123 label.
	DNS1123LabelMaxLength = 63
	// DNS1123SubdomainMaxLength is the longest DNS-1123 subdomain.
	DNS1123SubdomainMaxLength = 253
	// LabelValueMaxLength is the longest label value and qualified name part.
	LabelValueMaxLength = 63
	// TotalAnnotationSizeLimitB bounds the size of an object's annotations.
	TotalAnnotationSizeLimitB = 256 * 1024

	isNegativeErrorMsg   = "must be greater than or equal to 0"
	isNotPositiveMsg     = "must be greater than 0"
	fieldImmutableErrMsg = "field is immutable"
)

var (
	dns1035LabelRe    = regexp.MustCompile("^" + dns1035LabelFmt + "$")
	qualifiedNameRe   = regexp.MustCompile("^" + qualifiedNameFmt + "$")
	labelValueRe      = regexp.MustCompile("^" + labelValueFmt + "$")
	httpHeaderNameRe  = regexp.MustCompile("^" + httpHeaderNameFmt + "$")
	portNameCharsetRe = regexp.MustCompile("^[-a-z0-9]+$")
	portNameLetterRe  = regexp.MustCompile("[a-z]")
)

// regexError words a format violation as Kubernetes' RegexError does,
// including its double space between examples.
func regexError(msg, format string, examples ...string) string {
	msg += " (e.g. "
	for i, e := range examples {
		if i > 0 {
			msg += " or "
		}
		msg += "'" + e + "', "
	}
	return msg + "regex used for validation is '" + format + "')"
}

func maxLenError(n int) string { return fmt.Sprintf("must be no more than %d characters", n) }

// InclusiveRangeError words a value outside [lo, hi].
func InclusiveRangeError(lo, hi int) string {
	return fmt.Sprintf("must be between %d and %d, inclusive", lo, hi)
}

// IsDNS1123Label returns what is wrong with value as a DNS-1123 label
// (nil if nothing).
func IsDNS1123Label(value string) []string {
	var errs []string
	if len(value) > DNS1123LabelMaxLength {
		errs = append(errs, maxLenError(DNS1123LabelMaxLength))
	}
	if !isDNS1123Label(value) {
		errs = append(errs, regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"))
	}
	return errs
}

// IsDNS1035Label returns what is wrong with value as a DNS-1035 label, a
// DNS-1123 label that starts with a letter (nil if nothing).
func IsDNS1035Label(value string) []string {
	var errs []string
	if len(value) > DNS1123LabelMaxLength {
		errs = append(errs, maxLenError(DNS1123LabelMaxLength))
	}
	if !dns1035LabelRe.MatchString(value) {
		errs = append(errs, regexError(dns1035LabelErrMsg, dns1035LabelFmt, "my-name", "abc-123"))
	}
	return errs
}

// IsDNS1123Subdomain returns what is wrong with value as a DNS-1123
// subdomain (nil if nothing).
func IsDNS1123Subdomain(value string) []string {
	var errs []string
	if len(value) > DNS1123SubdomainMaxLength {
		errs = append(errs, maxLenError(DNS1123SubdomainMaxLength))
	}
	if !isDNS1123Subdomain(value) {
		errs = append(errs, regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, "example.com"))
	}
	return errs
}

// isDNS1123Label reports whether value matches dns1123LabelFmt, and
// isDNS1123Subdomain whether it matches dns1123SubdomainFmt, as the
// regular expressions (which FuzzDNS1123 holds them to) would, several
// times faster: every object's name, namespace and label keys pass here.
func isDNS1123Label(value string) bool {
	if value == "" || value[0] == '-' || value[len(value)-1] == '-' {
		return false
	}
	for i := range len(value) {
		if c := value[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isDNS1123Subdomain(value string) bool {
	for {
		label, rest, more := strings.Cut(value, ".")
		if !isDNS1123Label(label) {
			return false
		}
		if !more {
			return true
		}
		value = rest
	}
}

// IsQualifiedName returns what is wrong with value as a qualified name, an
// optional DNS subdomain prefix and '/' followed by a name part (the form of
// label and annotation keys).
func IsQualifiedName(value string) []string {
	var errs []string
	parts := strings.Split(value, "/")
	var name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		prefix := parts[0]
		name = parts[1]
		if prefix == "" {
			errs = append(errs, "prefix part must be non-empty")
		} else {
			for _, msg := range IsDNS1123Subdomain(prefix) {
				errs = append(errs, "prefix part "+msg)
			}
		}
	default:
		return []string{"a qualified name " + regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc") +
			" with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"}
	}
	if name == "" {
		errs = append(errs, "name part must be non-empty")
	} else if len(name) > LabelValueMaxLength {
		errs = append(errs, "name part "+maxLenError(LabelValueMaxLength))
	}
	if !qualifiedNameRe.MatchString(name) {
		errs = append(errs, "name part "+regexError(qualifiedNameErrMsg, qualifiedNameFmt, "MyName", "my.name", "123-abc"))
	}
	return errs
}

// IsValidLabelValue returns what is wrong with value as a label value.
func IsValidLabelValue(value string) []string {
	var errs []string
	if len(value) > LabelValueMaxLength {
		errs = append(errs, maxLenError(LabelValueMaxLength))
	}
	if !labelValueRe.MatchString(value) {
		errs = append(errs, regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
	}
	return errs
}

// IsValidPortName returns what is wrong with port as a port name (an IANA
// service name).
func IsValidPortName(port string) []string {
	var errs []string
	if len(port) > 15 {
		errs = append(errs, maxLenError(15))
	}
	if !portNameCharsetRe.MatchString(port) {
		errs = append(errs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if !portNameLetterRe.MatchString(port) {
		errs = append(errs, "must contain at least one letter (a-z)")
	}
	if strings.Contains(port, "--") {
		errs = append(errs, "must not contain consecutive hyphens")
	}
	if port != "" && (port[0] == '-' || port[len(port)-1] == '-') {
		errs = append(errs, "must not begin or end with a hyphen")
	}
	return errs
}

// IsValidPortNum returns what is wrong with port as a port number.
func IsValidPortNum(port int) []string {
	if port < 1 || port > 65535 {
		return []string{InclusiveRangeError(1, 65535)}
	}
	return nil
}

// IsHTTPHeaderName returns what is wrong with value as an HTTP header name.
func IsHTTPHeaderName(value string) []string {
	if !httpHeaderNameRe.MatchString(value) {
		return []string{regexError(httpHeaderNameErrMsg, httpHeaderNameFmt, "X-Header-Name")}
	}
	return nil
}

// IsEnvVarName returns what is wrong with value as an environment variable
// name, with the relaxed rule of Kubernetes 1.32: printable ASCII but '='.
func IsEnvVarName(value string) []string {
	if value == "" {
		return []string{"environment variable name must be non-empty"}
	}
	for _, r := range value {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == '=' {
			return []string{envVarNameErrMsg}
		}
	}
	return nil
}

// NameFunc validates an object name, or with prefix a generateName (whose
// trailing dash is allowed).
type NameFunc func(name string, prefix bool) []string

// NameIsDNSSubdomain is the NameFunc of most kinds.
func NameIsDNSSubdomain(name string, prefix bool) []string {
	if prefix {
		name = maskTrailingDash(name)
	}
	return IsDNS1123Subdomain(name)
}

// NameIsDNSLabel is the NameFunc of namespaces.
func NameIsDNSLabel(name string, prefix bool) []string {
	if prefix {
		name = maskTrailingDash(name)
	}
	return IsDNS1123Label(name)
}

// NameIsDNS1035Label is the NameFunc of services.
func NameIsDNS1035Label(name string, prefix bool) []string {
	if prefix {
		name = maskTrailingDash(name)
	}
	return IsDNS1035Label(name)
}

func maskTrailingDash(name string) string {
	if len(name) > 1 && strings.HasSuffix(name, "-") {
		return name[:len(name)-1] + "a"
	}
	return name
}

const (
	configMapKeyFmt    = `[-._a-zA-Z0-9]+`
	configMapKeyErrMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
)

var configMapKeyRe = regexp.MustCompile("^" + configMapKeyFmt + "$")

// IsConfigMapKey returns what is wrong with value as a key of a ConfigMap
// or Secret (nil if nothing): at most 253 characters of [-._a-zA-Z0-9],
// and not ".", ".." or starting with "..", since keys become file names.
func IsConfigMapKey(value string) []string {
	var errs []string
	if len(value) > DNS1123SubdomainMaxLength {
		errs = append(errs, maxLenError(DNS1123SubdomainMaxLength))
	}
	if !configMapKeyRe.MatchString(value) {
		errs = append(errs, regexError(configMapKeyErrMsg, configMapKeyFmt, "key.name", "KEY_NAME", "key-name"))
	}
	switch {
	case value == ".":
		errs = append(errs, "must not be '.'")
	case value == "..":
		errs = append(errs, "must not be '..'")
	case strings.HasPrefix(value, ".."):
		errs = append(errs, "must not start with '..'")
	}
	return errs
}
