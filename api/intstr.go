package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntOrString holds an int32 or a string (a port number or name, a replica
// count or a percentage). It serialises as a bare JSON number or string.
type IntOrString struct {
	// Type says which of IntVal and StrVal is set.
	Type IntOrStringType `protobuf:"varint,1,opt,name=type"`
	// IntVal is the value when Type is IntOrStringInt.
	IntVal int32 `protobuf:"varint,2,opt,name=intVal"`
	// StrVal is the value when Type is IntOrStringString.
	StrVal string `protobuf:"bytes,3,opt,name=strVal"`
}

// IntOrStringType says which value an IntOrString holds.
type IntOrStringType int

// IntOrString types.
const (
	IntOrStringInt    IntOrStringType = iota // IntVal is set
	IntOrStringString                        // StrVal is set
)

// FromInt returns an IntOrString holding i; values outside int32 are
// clamped to its range.
func FromInt(i int) IntOrString {
	return IntOrString{Type: IntOrStringInt, IntVal: int32(max(math.MinInt32, min(math.MaxInt32, i)))}
}

// FromString returns an IntOrString holding s.
func FromString(s string) IntOrString { return IntOrString{Type: IntOrStringString, StrVal: s} }

// String returns the value in text form.
func (v IntOrString) String() string {
	if v.Type == IntOrStringString {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// IntValue returns the int value, or the string parsed as an integer (0 if
// it is not one).
func (v IntOrString) IntValue() int {
	if v.Type == IntOrStringString {
		i, _ := strconv.Atoi(v.StrVal)
		return i
	}
	return int(v.IntVal)
}

// ScaledValue resolves v against total: an int is returned as is, a
// percentage "N%" becomes N% of total, rounded up if roundUp and down
// otherwise. A string that is not a percentage is an error.
func (v IntOrString) ScaledValue(total int, roundUp bool) (int, error) {
	if v.Type == IntOrStringInt {
		return int(v.IntVal), nil
	}
	s, ok := strings.CutSuffix(v.StrVal, "%")
	if !ok {
		return 0, errors.New("invalid value for IntOrString: invalid type: string is not a percentage")
	}
	p, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("invalid value %q: %w", v.StrVal, err)
	}
	if roundUp {
		return int(math.Ceil(float64(p) * float64(total) / 100)), nil
	}
	return int(math.Floor(float64(p) * float64(total) / 100)), nil
}

// MarshalJSON writes a JSON number or string.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.Type == IntOrStringString {
		return json.Marshal(v.StrVal)
	}
	return json.Marshal(v.IntVal)
}

// UnmarshalJSON reads a JSON number (an int32) or string.
func (v *IntOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		v.Type, v.IntVal = IntOrStringString, 0
		return json.Unmarshal(b, &v.StrVal)
	}
	v.Type, v.StrVal = IntOrStringInt, ""
	if err := json.Unmarshal(b, &v.IntVal); err != nil {
		return fmt.Errorf("decode int or string: %w", err)
	}
	return nil
}
