package labels

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

const (
	maxNameLen   = 63
	maxPrefixLen = 253
	maxValueLen  = 63
)

var (
	nameRE   = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	prefixRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// ValidateKey reports why key is not a valid label key, or nil. A key is an
// optional prefix (a lower-case DNS subdomain of at most 253 characters)
// and "/", followed by a name of 1 to 63 alphanumerics, '-', '_' or '.',
// beginning and ending with an alphanumeric.
func ValidateKey(key string) error {
	name := key
	if prefix, rest, ok := strings.Cut(key, "/"); ok {
		switch {
		case prefix == "":
			return errors.New("prefix part must be non-empty")
		case len(prefix) > maxPrefixLen:
			return fmt.Errorf("prefix part must be no more than %d characters", maxPrefixLen)
		case !prefixRE.MatchString(prefix):
			return errors.New("prefix part must be a lowercase DNS subdomain (e.g. 'example.com')")
		}
		name = rest
	}
	switch {
	case name == "":
		return errors.New("name part must be non-empty")
	case len(name) > maxNameLen:
		return fmt.Errorf("name part must be no more than %d characters", maxNameLen)
	case !nameRE.MatchString(name):
		return errors.New("name part must consist of alphanumeric characters, '-', '_' or '.', " +
			"and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')")
	}
	return nil
}

// ValidateValue reports why v is not a valid label value, or nil. A value
// is empty, or 1 to 63 alphanumerics, '-', '_' or '.', beginning and ending
// with an alphanumeric.
func ValidateValue(v string) error {
	switch {
	case v == "":
		return nil
	case len(v) > maxValueLen:
		return fmt.Errorf("must be no more than %d characters", maxValueLen)
	case !nameRE.MatchString(v):
		return errors.New("a valid label must be an empty string or consist of alphanumeric characters, " +
			"'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')")
	}
	return nil
}
