// Package protobuf reads request bodies in the Kubernetes protobuf encoding
// (Content-Type application/vnd.kubernetes.protobuf), which client-go's
// typed clients, and so kubectl's typed commands, send for built-in kinds.
//
// A body is the 4-byte magic "k8s\x00" followed by a runtime.Unknown
// message: typeMeta (1: apiVersion 1, kind 2), raw (2: the object's own
// message), contentEncoding (3) and contentType (4). The object's message
// is read against a Go type of package api, whose `protobuf:"..."` struct
// tags carry the field numbers of k8s.io/api's generated.proto; the tags
// are the only schema. Special messages are read as Kubernetes does:
// metav1.Time and MicroTime are {seconds 1, nanos 2} (Time keeps whole
// seconds only), resource.Quantity is {string 1}, IntOrString is
// {type 1, intVal 2, strVal 3}, a map is a repeated {key 1, value 2} entry,
// and repeated scalars may be packed or not.
//
// Contract:
//   - Unmarshal fills a Go value exactly as Kubernetes' generated decoder
//     fills the same type; Decode then renders it as the JSON object a JSON
//     client would have sent for it (json.Marshal of the value, read back
//     with json.Number numbers, apiVersion and kind taken from the
//     envelope), so protobuf and JSON requests share one code path.
//   - Field numbers that the Go type does not know are skipped: the fields
//     minik8s does not model are dropped, as a Kubernetes server drops the
//     fields of a newer client.
//   - A body that is not a well-formed envelope, uses a content encoding,
//     or has a value of the wrong wire type or out of range for its Go
//     field fails with an error; nothing is partially returned.
//
// Everything here is pure and safe for concurrent use. The wire format is
// parsed with google.golang.org/protobuf/encoding/protowire.
package protobuf
