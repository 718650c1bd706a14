package structural

import (
	"encoding/hex"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// stringFormats are the string formats Kubernetes validates in custom
// resources (normalized: without dashes). Others are ignored, as
// Kubernetes strips them from the schema it validates with.
var stringFormats = map[string]func(string) bool{
	"bsonobjectid": isBSONObjectID,
	"uri":          func(s string) bool { _, err := url.ParseRequestURI(s); return err == nil },
	"email":        isEmail,
	"hostname":     isHostname,
	"ipv4":         func(s string) bool { return parseIPSloppy(s) != nil && strings.Contains(s, ".") },
	"ipv6":         func(s string) bool { return net.ParseIP(s) != nil && strings.Contains(s, ":") },
	"cidr":         isCIDR,
	"mac":          func(s string) bool { _, err := net.ParseMAC(s); return err == nil },
	"uuid":         rxUUID.MatchString,
	"uuid3":        rxUUID3.MatchString,
	"uuid4":        rxUUID4.MatchString,
	"uuid5":        rxUUID5.MatchString,
	"isbn":         func(s string) bool { return isISBN(s, 10) || isISBN(s, 13) },
	"isbn10":       func(s string) bool { return isISBN(s, 10) },
	"isbn13":       func(s string) bool { return isISBN(s, 13) },
	"creditcard":   isCreditCard,
	"ssn":          func(s string) bool { return len(s) == 11 && rxSSN.MatchString(s) },
	"hexcolor":     rxHexColor.MatchString,
	"rgbcolor":     rxRGBColor.MatchString,
	"byte":         rxBase64.MatchString,
	"password":     func(string) bool { return true },
	"date":         isDate,
	"duration":     isDuration,
	"datetime":     isDateTime,
	"k8sshortname": func(s string) bool { return len(s) <= 63 && rxShortName.MatchString(s) },
	"k8slongname":  func(s string) bool { return len(s) <= 253 && rxLongName.MatchString(s) },
}

// supportedFormat is the format Kubernetes validates for a schema of the
// given type: formats it does not know, and formats that do not fit the
// type, are dropped ("").
func supportedFormat(types []string, format string) string {
	if format == "" {
		return ""
	}
	t := ""
	if len(types) == 1 {
		t = types[0]
	}
	switch t {
	case "", "string":
		if _, ok := stringFormats[normalizeFormat(format)]; ok {
			return format
		}
	case "integer":
		if format == "int32" || format == "int64" {
			return format
		}
	case "number":
		if format == "float" || format == "double" {
			return format
		}
	}
	return ""
}

// validFormat reports whether s is valid for a string format. Formats
// that are not string formats (int32, ...) are not checked here.
func validFormat(format, s string) bool {
	f, ok := stringFormats[normalizeFormat(format)]
	return !ok || f(s)
}

var (
	rxUUID      = regexp.MustCompile(`(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$`)
	rxUUID3     = regexp.MustCompile(`(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$`)
	rxUUID4     = regexp.MustCompile(`(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$`)
	rxUUID5     = regexp.MustCompile(`(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$`)
	rxHostname  = regexp.MustCompile(`^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$`)
	rxSSN       = regexp.MustCompile(`^\d{3}[- ]?\d{2}[- ]?\d{4}$`)
	rxHexColor  = regexp.MustCompile(`^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)
	rxRGBColor  = regexp.MustCompile(`^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$`)
	rxBase64    = regexp.MustCompile(`^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=|[A-Za-z0-9+\/]{4})$`)
	rxShortName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	rxLongName  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	rxDateTime  = regexp.MustCompile(`^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$`)
	rxCard      = regexp.MustCompile(`^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$`)
	rxDuration  = regexp.MustCompile(`((\d+)\s*([A-Za-zµ]+))`)
	rxNotDigits = regexp.MustCompile(`[^0-9]+`)
	rxSpaceDash = regexp.MustCompile(`[\s-]+`)
	rxISBN10    = regexp.MustCompile(`^(?:[0-9]{9}X|[0-9]{10})$`)
	rxISBN13    = regexp.MustCompile(`^(?:[0-9]{13})$`)
)

func isBSONObjectID(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 24 && err == nil
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address != ""
}

func isHostname(s string) bool {
	if !rxHostname.MatchString(s) || len(s) > 255 {
		return false
	}
	for _, p := range strings.Split(s, ".") {
		if len(p) > 63 {
			return false
		}
	}
	return true
}

// parseIPSloppy parses an IP address, allowing the leading zeros in IPv4
// octets that Go's parser refuses since 1.17, as Kubernetes does.
func parseIPSloppy(s string) net.IP {
	if strings.Contains(s, ".") && !strings.Contains(s, ":") {
		parts := strings.Split(s, ".")
		if len(parts) == 4 {
			for i, p := range parts {
				if len(p) > 1 {
					t := strings.TrimLeft(p, "0")
					if t == "" {
						t = "0"
					}
					parts[i] = t
				}
			}
			s = strings.Join(parts, ".")
		}
	}
	return net.ParseIP(s)
}

func isCIDR(s string) bool {
	ip, bits, ok := strings.Cut(s, "/")
	if !ok {
		return false
	}
	if p := parseIPSloppy(ip); p != nil {
		_, _, err := net.ParseCIDR(p.String() + "/" + bits)
		return err == nil
	}
	return false
}

func isISBN(s string, version int) bool {
	s = rxSpaceDash.ReplaceAllString(s, "")
	var sum int
	switch version {
	case 10:
		if !rxISBN10.MatchString(s) {
			return false
		}
		for i := 0; i < 9; i++ {
			sum += (i + 1) * int(s[i]-'0')
		}
		if s[9] == 'X' {
			sum += 10 * 10
		} else {
			sum += 10 * int(s[9]-'0')
		}
		return sum%11 == 0
	case 13:
		if !rxISBN13.MatchString(s) {
			return false
		}
		factor := []int{1, 3}
		for i := 0; i < 12; i++ {
			sum += factor[i%2] * int(s[i]-'0')
		}
		return (int(s[12]-'0'))-((10-(sum%10))%10) == 0
	}
	return false
}

// isCreditCard checks the card number's form and its Luhn checksum.
func isCreditCard(s string) bool {
	s = rxNotDigits.ReplaceAllString(s, "")
	if !rxCard.MatchString(s) {
		return false
	}
	sum, double := 0, false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func isDateTime(s string) bool {
	if len(s) < 4 {
		return false
	}
	parts := strings.Split(strings.ToLower(s), "t")
	if len(parts) < 2 || !isDate(parts[0]) {
		return false
	}
	m := rxDateTime.FindStringSubmatch(parts[1])
	if m == nil {
		return false
	}
	return m[1] <= "23" && m[2] <= "59" && m[3] <= "59"
}

var durationUnits = [][]string{
	{"ns", "nano"}, {"us", "µs", "micro"}, {"ms", "milli"}, {"s", "sec"},
	{"m", "min"}, {"h", "hr", "hour"}, {"d", "day"}, {"w", "wk", "week"},
}

// isDuration accepts Go durations and the "3 days"-style durations of
// go-openapi's strfmt.
func isDuration(s string) bool {
	if _, err := time.ParseDuration(s); err == nil {
		return true
	}
	for _, m := range rxDuration.FindAllStringSubmatch(s, -1) {
		if _, err := strconv.Atoi(m[2]); err != nil {
			return false
		}
		unit := strings.ToLower(strings.TrimSpace(m[3]))
		for _, variants := range durationUnits {
			last := len(variants) - 1
			for i, v := range variants {
				if last == i && strings.HasPrefix(unit, v) || strings.EqualFold(v, unit) {
					return true
				}
			}
		}
	}
	return false
}
