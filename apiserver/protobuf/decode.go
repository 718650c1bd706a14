package protobuf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/minik8s/minik8s/api"
)

// MediaType is the Content-Type of a Kubernetes protobuf body.
const MediaType = "application/vnd.kubernetes.protobuf"

// magic starts every Kubernetes protobuf body.
var magic = []byte("k8s\x00")

// IsMediaType reports whether a Content-Type header names the Kubernetes
// protobuf encoding (parameters are ignored).
func IsMediaType(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == MediaType
}

// Unmarshal reads a Kubernetes protobuf body into v, a non-nil pointer to
// a struct of package api, and returns the apiVersion and kind the
// envelope names (empty when it names none). Fields already set in v are
// overwritten only where the body carries them.
func Unmarshal(body []byte, v any) (api.TypeMeta, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return api.TypeMeta{}, fmt.Errorf("decode protobuf: want a pointer to a struct, got %T", v)
	}
	tm, raw, err := parseEnvelope(body)
	if err != nil {
		return api.TypeMeta{}, err
	}
	if err := decodeMessage(raw, rv.Elem()); err != nil {
		return api.TypeMeta{}, fmt.Errorf("decode protobuf %s: %w", rv.Elem().Type().Name(), err)
	}
	return tm, nil
}

// Decode reads a Kubernetes protobuf body as an object of the struct type
// t (a pointer type is followed) and returns its JSON form: the map that
// decoding json.Marshal of the value with json.Number numbers gives, plus
// the envelope's apiVersion and kind when it names them.
func Decode(body []byte, t reflect.Type) (map[string]any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("decode protobuf: %s is not a struct type", t)
	}
	v := reflect.New(t)
	tm, err := Unmarshal(body, v.Interface())
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, fmt.Errorf("encode %s as JSON: %w", t.Name(), err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var o map[string]any
	if err := d.Decode(&o); err != nil {
		return nil, fmt.Errorf("read %s as JSON: %w", t.Name(), err)
	}
	if tm.APIVersion != "" {
		o["apiVersion"] = tm.APIVersion
	}
	if tm.Kind != "" {
		o["kind"] = tm.Kind
	}
	return o, nil
}

// Field numbers of runtime.Unknown and runtime.TypeMeta
// (k8s.io/apimachinery/pkg/runtime/generated.proto).
const (
	unknownTypeMeta        = 1
	unknownRaw             = 2
	unknownContentEncoding = 3
	typeMetaAPIVersion     = 1
	typeMetaKind           = 2
)

// parseEnvelope checks the magic prefix and reads the runtime.Unknown that
// follows it.
func parseEnvelope(body []byte) (tm api.TypeMeta, raw []byte, err error) {
	b, ok := bytes.CutPrefix(body, magic)
	if !ok {
		return tm, nil, errors.New("decode protobuf: the body does not start with the Kubernetes protobuf prefix")
	}
	err = walk(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case unknownTypeMeta:
			return walk(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				switch {
				case typ != protowire.BytesType:
				case num == typeMetaAPIVersion:
					tm.APIVersion = string(v)
				case num == typeMetaKind:
					tm.Kind = string(v)
				}
				return nil
			})
		case unknownRaw:
			raw = v
		case unknownContentEncoding:
			if len(v) > 0 {
				return fmt.Errorf("content encoding %q is not supported", v)
			}
		}
		return nil
	})
	if err != nil {
		return api.TypeMeta{}, nil, fmt.Errorf("decode protobuf envelope: %w", err)
	}
	return tm, raw, nil
}

// walk calls fn for each field of the message b, in wire order: v is the
// payload of a length-delimited field and x the value of a varint or fixed
// one.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var u uint32
			u, n = protowire.ConsumeFixed32(b)
			x = uint64(u)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default: // groups are not used by Kubernetes
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// field is one tagged struct field.
type field struct {
	name  string // the proto name, for errors
	index int
}

var fieldCache sync.Map // reflect.Type -> map[protowire.Number]field

// fieldsOf maps the field numbers of t's protobuf tags to its fields.
func fieldsOf(t reflect.Type) (map[protowire.Number]field, error) {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[protowire.Number]field), nil
	}
	fields := map[protowire.Number]field{}
	for i := range t.NumField() {
		tag, ok := t.Field(i).Tag.Lookup("protobuf")
		if !ok {
			continue
		}
		// "bytes,8,opt,name=creationTimestamp"
		parts := strings.Split(tag, ",")
		if len(parts) < 4 {
			return nil, fmt.Errorf("malformed protobuf tag %q of %s.%s", tag, t.Name(), t.Field(i).Name)
		}
		num, err := strconv.Atoi(parts[1])
		if err != nil || num <= 0 {
			return nil, fmt.Errorf("malformed protobuf tag %q of %s.%s", tag, t.Name(), t.Field(i).Name)
		}
		fields[protowire.Number(num)] = field{name: strings.TrimPrefix(parts[3], "name="), index: i}
	}
	fieldCache.Store(t, fields)
	return fields, nil
}

// decodeMessage reads the message b into the struct v.
func decodeMessage(b []byte, v reflect.Value) error {
	switch v.Type() {
	case timeType, microTimeType, quantityType:
		return decodeSpecial(b, v)
	}
	fields, err := fieldsOf(v.Type())
	if err != nil {
		return err
	}
	return walk(b, func(num protowire.Number, typ protowire.Type, payload []byte, x uint64) error {
		f, ok := fields[num]
		if !ok {
			return nil // a field minik8s does not model
		}
		if err := decodeField(v.Field(f.index), typ, payload, x); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		return nil
	})
}

// decodeField reads one occurrence of a field into v: it sets a scalar,
// fills (or merges into) a message, or appends to a repeated field.
func decodeField(v reflect.Value, typ protowire.Type, b []byte, x uint64) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return decodeField(v.Elem(), typ, b, x)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // bytes, not a repeated field
			if typ != protowire.BytesType {
				return wireTypeError(typ, protowire.BytesType)
			}
			v.SetBytes(bytes.Clone(b))
			return nil
		}
		return decodeRepeated(v, typ, b, x)
	case reflect.Map:
		if typ != protowire.BytesType {
			return wireTypeError(typ, protowire.BytesType)
		}
		return decodeMapEntry(v, b)
	case reflect.Struct:
		if typ != protowire.BytesType {
			return wireTypeError(typ, protowire.BytesType)
		}
		return decodeMessage(b, v)
	case reflect.String:
		if typ != protowire.BytesType {
			return wireTypeError(typ, protowire.BytesType)
		}
		v.SetString(string(b))
		return nil
	case reflect.Bool:
		if typ != protowire.VarintType {
			return wireTypeError(typ, protowire.VarintType)
		}
		v.SetBool(x != 0)
		return nil
	case reflect.Int, reflect.Int32, reflect.Int64:
		if typ != protowire.VarintType {
			return wireTypeError(typ, protowire.VarintType)
		}
		// proto int32 and int64 are two's complement varints.
		i := int64(x)
		if v.OverflowInt(i) {
			return fmt.Errorf("value %d is out of range for %s", i, v.Type())
		}
		v.SetInt(i)
		return nil
	}
	return fmt.Errorf("cannot decode into Go type %s", v.Type())
}

// decodeRepeated appends one element, or a packed run of scalars, to the
// slice v.
func decodeRepeated(v reflect.Value, typ protowire.Type, b []byte, x uint64) error {
	et := v.Type().Elem()
	if typ == protowire.BytesType && isVarintKind(et.Kind()) {
		for len(b) > 0 {
			u, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			if err := appendElem(v, protowire.VarintType, nil, u); err != nil {
				return err
			}
		}
		return nil
	}
	return appendElem(v, typ, b, x)
}

func appendElem(v reflect.Value, typ protowire.Type, b []byte, x uint64) error {
	e := reflect.New(v.Type().Elem()).Elem()
	if err := decodeField(e, typ, b, x); err != nil {
		return err
	}
	v.Set(reflect.Append(v, e))
	return nil
}

func isVarintKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

// decodeMapEntry reads one {key 1, value 2} entry into the map v; a
// missing key or value is the zero value, as in protobuf.
func decodeMapEntry(v reflect.Value, b []byte) error {
	k := reflect.New(v.Type().Key()).Elem()
	e := reflect.New(v.Type().Elem()).Elem()
	err := walk(b, func(num protowire.Number, typ protowire.Type, payload []byte, x uint64) error {
		switch num {
		case 1:
			return decodeField(k, typ, payload, x)
		case 2:
			return decodeField(e, typ, payload, x)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("map entry: %w", err)
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	v.SetMapIndex(k, e)
	return nil
}

var (
	timeType      = reflect.TypeFor[api.Time]()
	microTimeType = reflect.TypeFor[api.MicroTime]()
	quantityType  = reflect.TypeFor[api.Quantity]()
)

// Field numbers of metav1.Time and MicroTime ({seconds 1, nanos 2}) and of
// resource.Quantity ({string 1}).
const (
	timestampSeconds = 1
	timestampNanos   = 2
	quantityString   = 1
)

// decodeSpecial reads the messages whose Go types hold no tagged fields.
func decodeSpecial(b []byte, v reflect.Value) error {
	if v.Type() == quantityType {
		var s *string
		err := walk(b, func(num protowire.Number, typ protowire.Type, payload []byte, _ uint64) error {
			if num == quantityString && typ == protowire.BytesType {
				str := string(payload)
				s = &str
			}
			return nil
		})
		if err != nil || s == nil {
			return err // an empty message is the zero quantity
		}
		q, err := api.ParseQuantity(*s)
		if err != nil {
			return fmt.Errorf("quantity %q: %w", *s, err)
		}
		v.Set(reflect.ValueOf(q))
		return nil
	}
	var sec, nsec int64
	err := walk(b, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
		if typ != protowire.VarintType {
			return nil
		}
		switch num {
		case timestampSeconds:
			sec = int64(x)
		case timestampNanos:
			nsec = int64(int32(x))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(b) == 0 { // Kubernetes writes a zero time as an empty message
		v.Set(reflect.Zero(v.Type()))
		return nil
	}
	if v.Type() == timeType {
		// Kubernetes drops the nanoseconds of a Time, as its JSON form does.
		v.Set(reflect.ValueOf(api.NewTime(time.Unix(sec, 0))))
		return nil
	}
	v.Set(reflect.ValueOf(api.MicroTime{Time: time.Unix(sec, nsec).UTC().Truncate(time.Microsecond)}))
	return nil
}

func wireTypeError(got, want protowire.Type) error {
	return fmt.Errorf("wire type %d, want %d", got, want)
}
