package controllerutil

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"strconv"

	"github.com/minik8s/minik8s/api"
)

// safeAlphabet renders hashes without vowels (no accidental words) and
// without characters that look alike, as Kubernetes' rand.SafeEncodeString.
const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// HashBytes returns FNV-32a of b, followed by the collision count if there
// is one, written in decimal and mapped onto a safe alphabet: the
// suffix of a ReplicaSet's or ControllerRevision's name.
func HashBytes(b []byte, collisionCount *int32) string {
	h := fnv.New32a()
	h.Write(b)
	if collisionCount != nil {
		h.Write(binary.LittleEndian.AppendUint32(nil, uint32(*collisionCount)))
	}
	digits := strconv.FormatUint(uint64(h.Sum32()), 10)
	out := make([]byte, len(digits))
	for i := range len(digits) {
		out[i] = safeAlphabet[int(digits[i])%len(safeAlphabet)]
	}
	return string(out)
}

// ComputeHash returns the pod-template-hash of a template: HashBytes of
// its JSON encoding (map keys sorted, so canonical). Equal templates hash
// alike in every process and release that keeps the API types unchanged.
func ComputeHash(t *api.PodTemplateSpec, collisionCount *int32) string {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err) // api types always encode
	}
	return HashBytes(b, collisionCount)
}
