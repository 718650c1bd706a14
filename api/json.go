package api

import (
	"io"

	sigsjson "sigs.k8s.io/json"
)

// Unmarshal decodes JSON into v as Kubernetes decodes API objects: keys
// match field names case-sensitively, so a key that differs from a field
// only in case ("nodename") is an unknown field and is ignored. Go's
// encoding/json would take it for the field. The API server validates what
// this decodes and every minik8s client decodes with it too, so a stored
// object cannot mean one thing to validation and another to a controller.
// Numbers decoded into an interface value are int64 when they are
// integers.
func Unmarshal(data []byte, v any) error {
	return sigsjson.UnmarshalCaseSensitivePreserveInts(data, v)
}

// NewDecoder is a stream decoder that decodes as Unmarshal does.
func NewDecoder(r io.Reader) sigsjson.Decoder {
	return sigsjson.NewDecoderCaseSensitivePreserveInts(r)
}
