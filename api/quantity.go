package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// Quantity is a Kubernetes resource quantity such as "100m", "0.5", "64Mi",
// "1G" or "1e3". It is held as an int64 number of milli-units, so its
// precision is 1m (finer values, like "1n", are rounded up to it, as
// Kubernetes' MilliValue does) and its range is about ±9.2e15 units (8 PiB);
// ParseQuantity rejects larger values. A parsed quantity keeps its original
// text for String and JSON; arithmetic drops it in favour of the canonical
// form. The zero value is 0. Compare with Cmp, not ==.
type Quantity struct {
	milli  int64
	format Format
	s      string
}

// Format is how a quantity without original text is written.
type Format string

// Quantity formats.
const (
	// DecimalExponent writes 1e3, 1500e-3.
	DecimalExponent Format = "DecimalExponent"
	// BinarySI writes 64Mi, 1Gi (values below 1024 as DecimalSI).
	BinarySI Format = "BinarySI"
	// DecimalSI writes 100m, 1, 2k, 1G.
	DecimalSI Format = "DecimalSI"
)

// Errors of ParseQuantity.
var (
	// ErrFormatWrong: the text is not a number followed by a suffix.
	ErrFormatWrong = errors.New("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
	// ErrSuffix: the suffix is none of the known ones.
	ErrSuffix = errors.New("unable to parse quantity's suffix")
	// ErrQuantityTooLarge: the value does not fit the supported range.
	ErrQuantityTooLarge = errors.New("quantity is too large")
)

// maxDigits bounds the number part of a quantity's text, which keeps the
// exact arithmetic of parsing cheap.
const maxDigits = 40

var decimalSuffixes = map[string]int{"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
var binarySuffixes = map[string]uint{"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}

// ParseQuantity parses a quantity: an optionally signed decimal number and
// an optional suffix, either decimal SI (n u m k M G T P E), binary SI
// (Ki Mi Gi Ti Pi Ei) or a decimal exponent (e3, E-2). Errors are
// ErrFormatWrong, ErrSuffix and ErrQuantityTooLarge.
func ParseQuantity(s string) (Quantity, error) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	mant := make([]byte, 0, 24) // the digits; on the stack unless longer
	frac, dot := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if dot {
				return Quantity{}, ErrFormatWrong
			}
			dot = true
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		mant = append(mant, c)
		if dot {
			frac++
		}
	}
	if len(mant) == 0 {
		return Quantity{}, ErrFormatWrong
	}
	if len(mant) > maxDigits {
		return Quantity{}, ErrQuantityTooLarge
	}
	suffix := s[i:]
	exp10, exp2 := 0, uint(0)
	format := DecimalSI
	if e, ok := decimalSuffixes[suffix]; ok {
		exp10 = e
	} else if e, ok := binarySuffixes[suffix]; ok {
		exp2, format = e, BinarySI
	} else if e, ok := parseExponent(suffix); ok {
		exp10, format = e, DecimalExponent
	} else {
		return Quantity{}, ErrSuffix
	}

	// value*1000 = mant * 10^(exp10-frac+3) * 2^exp2, rounded up to an integer.
	if len(bytes.TrimLeft(mant, "0")) == 0 {
		// Zero at any scale; "0e99999999" must not compute 10^99999999.
		return Quantity{format: format, s: s}, nil
	}
	e := exp10 - frac + 3
	milli, ok := smallMilli(mant, neg, e, exp2)
	if !ok {
		var err error
		if milli, err = bigMilli(mant, neg, e, exp2); err != nil {
			return Quantity{}, err
		}
	}
	return Quantity{milli: milli, format: format, s: s}, nil
}

// pow10 holds the powers of ten that fit in a uint64.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// smallMilli is (-)mant * 10^e * 2^exp2 rounded up, in uint64 arithmetic,
// for the quantities people write ("100m", "64Mi", "1.5"); ok is false
// when a step could overflow, and bigMilli must decide.
func smallMilli(mant []byte, neg bool, e int, exp2 uint) (milli int64, ok bool) {
	if len(mant) > 19 || exp2 > 63 || e >= len(pow10) || -e >= len(pow10) {
		return 0, false
	}
	var m uint64 // 19 digits are below 2^64
	for _, c := range mant {
		m = m*10 + uint64(c-'0')
	}
	hi, m := bits.Mul64(m, 1<<exp2)
	if hi != 0 {
		return 0, false
	}
	if e >= 0 {
		if hi, m = bits.Mul64(m, pow10[e]); hi != 0 {
			return 0, false
		}
	} else {
		d := pow10[-e]
		q := m / d
		if m%d != 0 && !neg {
			q++ // up, towards +∞
		}
		m = q
	}
	if m > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(m), true
	}
	return int64(m), true
}

// bigMilli is smallMilli for any size, or ErrQuantityTooLarge.
func bigMilli(mant []byte, neg bool, e int, exp2 uint) (int64, error) {
	m, _ := new(big.Int).SetString(string(mant), 10)
	if neg {
		m.Neg(m)
	}
	r := new(big.Rat).SetInt(m)
	if e > 2*maxDigits {
		return 0, ErrQuantityTooLarge
	}
	e = max(e, -2*maxDigits) // smaller scales all round up to the same milli value
	pow := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil))
	if e >= 0 {
		r.Mul(r, pow)
	} else {
		r.Quo(r, pow)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Lsh(big.NewInt(1), exp2)))
	milli := ceilRat(r)
	if !milli.IsInt64() {
		return 0, ErrQuantityTooLarge
	}
	return milli.Int64(), nil
}

// parseExponent parses a decimal exponent suffix such as "e3" or "E-2".
func parseExponent(s string) (int, bool) {
	if len(s) < 2 || (s[0] != 'e' && s[0] != 'E') {
		return 0, false
	}
	digits := s[1:]
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	e, err := strconv.Atoi(s[1:])
	if err != nil { // out of int range
		if s[1] == '-' {
			return math.MinInt32, true
		}
		return math.MaxInt32, true
	}
	return max(math.MinInt32, min(math.MaxInt32, e)), true
}

func ceilRat(r *big.Rat) *big.Int {
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() > 0 { // QuoRem truncates towards zero
		q.Add(q, big.NewInt(1))
	}
	return q
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// MustParse is ParseQuantity for constants; it panics on an error.
func MustParse(s string) Quantity {
	q, err := ParseQuantity(s)
	if err != nil {
		panic(fmt.Sprintf("parse quantity %q: %v", s, err))
	}
	return q
}

// NewQuantity returns value units written in format f. Values beyond the
// range saturate.
func NewQuantity(value int64, f Format) Quantity {
	return Quantity{milli: mulSat(value, 1000), format: f}
}

// NewMilliQuantity returns milli thousandths of a unit written in format f.
func NewMilliQuantity(milli int64, f Format) Quantity {
	return Quantity{milli: milli, format: f}
}

func mulSat(a, b int64) int64 {
	c := a * b
	if a != 0 && (c/a != b || (a == -1 && b == math.MinInt64)) {
		if (a < 0) != (b < 0) {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return c
}

func addSat(a, b int64) int64 {
	c := a + b
	if a > 0 && b > 0 && c < 0 {
		return math.MaxInt64
	}
	if a < 0 && b < 0 && c >= 0 {
		return math.MinInt64
	}
	return c
}

// MilliValue returns the quantity in thousandths of a unit (CPU millicores).
func (q Quantity) MilliValue() int64 { return q.milli }

// Value returns the quantity in units, rounded up (towards +∞).
func (q Quantity) Value() int64 {
	v := q.milli / 1000
	if q.milli%1000 > 0 {
		v++
	}
	return v
}

// IsZero reports whether the quantity is 0.
func (q Quantity) IsZero() bool { return q.milli == 0 }

// Sign returns -1, 0 or 1.
func (q Quantity) Sign() int {
	switch {
	case q.milli < 0:
		return -1
	case q.milli > 0:
		return 1
	}
	return 0
}

// Cmp returns -1, 0 or 1 as q is less than, equal to or greater than y.
func (q Quantity) Cmp(y Quantity) int {
	switch {
	case q.milli < y.milli:
		return -1
	case q.milli > y.milli:
		return 1
	}
	return 0
}

// Equal reports whether q and y have the same value, whatever their text.
func (q Quantity) Equal(y Quantity) bool { return q.milli == y.milli }

// Add adds y to q (saturating at the range's ends). q keeps its format, or
// takes y's if it has none.
func (q *Quantity) Add(y Quantity) {
	q.milli = addSat(q.milli, y.milli)
	q.s = ""
	if q.format == "" {
		q.format = y.format
	}
}

// Sub subtracts y from q, as Add.
func (q *Quantity) Sub(y Quantity) {
	y.milli = -max(y.milli, -math.MaxInt64)
	q.Add(y)
}

// String returns the text the quantity was parsed from or, for a computed
// quantity, its canonical form in its format ("500m", "2k", "64Mi", "1e3").
func (q Quantity) String() string {
	if q.s != "" {
		return q.s
	}
	return q.canonical()
}

func (q Quantity) canonical() string {
	if q.milli == 0 {
		return "0"
	}
	if q.milli%1000 != 0 {
		if q.format == DecimalExponent {
			return strconv.FormatInt(q.milli, 10) + "e-3"
		}
		return strconv.FormatInt(q.milli, 10) + "m"
	}
	v := q.milli / 1000
	switch {
	case q.format == BinarySI && (v >= 1024 || v <= -1024):
		suffixes := []string{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
		i := 0
		for i < len(suffixes)-1 && v%1024 == 0 {
			v /= 1024
			i++
		}
		return strconv.FormatInt(v, 10) + suffixes[i]
	case q.format == DecimalExponent:
		e := 0
		for v%1000 == 0 {
			v /= 1000
			e += 3
		}
		if e == 0 {
			return strconv.FormatInt(v, 10)
		}
		return strconv.FormatInt(v, 10) + "e" + strconv.Itoa(e)
	default:
		suffixes := []string{"", "k", "M", "G", "T", "P", "E"}
		i := 0
		for i < len(suffixes)-1 && v%1000 == 0 {
			v /= 1000
			i++
		}
		return strconv.FormatInt(v, 10) + suffixes[i]
	}
}

// MarshalJSON writes the quantity as a JSON string.
func (q Quantity) MarshalJSON() ([]byte, error) { return json.Marshal(q.String()) }

// UnmarshalJSON reads a JSON string or number; null leaves the zero value.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*q = Quantity{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	p, err := ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("decode quantity %q: %w", s, err)
	}
	*q = p
	return nil
}
