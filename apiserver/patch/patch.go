package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"reflect"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Patch content types.
const (
	JSONPatchType           = "application/json-patch+json"
	MergePatchType          = "application/merge-patch+json"
	StrategicMergePatchType = "application/strategic-merge-patch+json"
	ApplyPatchType          = "application/apply-patch+yaml"
)

// Bounds on the work of one JSON patch, Kubernetes' defaults.
const (
	// MaxJSONPatchOps bounds the operations of one JSON patch
	// (kube-apiserver's maxJSONPatchOperations).
	MaxJSONPatchOps = 10000
	// MaxCopyBytes bounds how much the "copy" operations of one JSON patch
	// may add to the document, all together (kube-apiserver's
	// JSONPatchMaxCopyBytes): without it a patch of a few copies of a value
	// onto itself doubles the document each time.
	MaxCopyBytes = 3 << 20
)

var (
	// ErrUnsupported: the patch type is not supported (server-side apply or
	// an unknown Content-Type); the API server answers 415.
	ErrUnsupported = errors.New("unsupported patch type")
	// ErrMalformed: the patch body cannot be read as a patch of its type;
	// the API server answers 400.
	ErrMalformed = errors.New("malformed patch")
	// ErrTooLarge: the JSON patch has more operations than MaxJSONPatchOps;
	// the API server answers 413.
	ErrTooLarge = errors.New("patch too large")
	// ErrInvalid: the patch is well formed but cannot be applied to the
	// object, or would turn it into something that is not an object; the API
	// server answers 422.
	ErrInvalid = errors.New("invalid patch")
)

// Apply applies patch to original, a JSON object, and returns the patched
// JSON object. patchType is the request's Content-Type (parameters such as
// charset are ignored). schema is the object's Go type, e.g.
// reflect.TypeOf(api.Pod{}); only strategic merge patches use it, and nil
// makes them merge every list by replacement. Errors wrap ErrUnsupported,
// ErrMalformed or ErrInvalid, except when original itself is not a JSON
// object.
func Apply(patchType string, original, patch []byte, schema reflect.Type) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(patchType)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, patchType)
	}
	if !isObject(original) || !json.Valid(original) {
		return nil, errors.New("apply patch: the original document is not a JSON object")
	}
	var out []byte
	switch mt {
	case JSONPatchType:
		out, err = applyJSONPatch(original, patch)
	case MergePatchType:
		out, err = applyMergePatch(original, patch)
	case StrategicMergePatchType:
		out, err = StrategicMerge(original, patch, schema)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupported, mt)
	}
	if err != nil {
		return nil, err
	}
	if !isObject(out) {
		return nil, fmt.Errorf("%w: the patched document is not a JSON object", ErrInvalid)
	}
	return out, nil
}

// isObject reports whether the JSON text b starts as an object.
func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

func applyJSONPatch(original, patch []byte) ([]byte, error) {
	ops, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, fmt.Errorf("%w: decode JSON patch: %v", ErrMalformed, err)
	}
	if len(ops) > MaxJSONPatchOps {
		return nil, fmt.Errorf("%w: The allowed maximum operations in a JSON patch is %d, got %d",
			ErrTooLarge, MaxJSONPatchOps, len(ops))
	}
	for i, op := range ops {
		// RFC 6902 requires a value for "test"; json-patch v5.9 checks it
		// for "add" and "replace" as it decodes, and panics on a "test"
		// without one.
		if _, ok := op["value"]; op.Kind() == "test" && !ok {
			return nil, fmt.Errorf("%w: JSON patch operation %d (test) has no value", ErrMalformed, i)
		}
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.AccumulatedCopySizeLimit = MaxCopyBytes
	out, err := ops.ApplyWithOptions(original, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: apply JSON patch: %v", ErrInvalid, err)
	}
	return out, nil
}

func applyMergePatch(original, patch []byte) ([]byte, error) {
	if !json.Valid(patch) {
		return nil, fmt.Errorf("%w: the merge patch is not valid JSON", ErrMalformed)
	}
	out, err := jsonpatch.MergePatch(original, patch)
	if err != nil {
		return nil, fmt.Errorf("%w: apply merge patch: %v", ErrMalformed, err)
	}
	return out, nil
}
