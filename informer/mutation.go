package informer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// MutationDetectorEnv names the environment variable that, set to "true",
// makes every informer of the process check that its cached objects stay
// as they were stored, as client-go's KUBE_CACHE_MUTATION_DETECTOR does.
// `make test` sets it. A cached object is shared with every handler and
// lister, and its parts with other cached objects (api.Compact), so
// changing one in place, rather than a copy, corrupts what the rest of
// the process sees; the detector panics naming the object. It keeps a
// JSON copy of every cached object, which doubles the cache's memory.
const MutationDetectorEnv = "MINIK8S_CACHE_MUTATION_DETECTOR"

var detectMutations = os.Getenv(MutationDetectorEnv) == "true"

// mutationDetector holds the JSON of each cached object as it was
// stored; nil when off.
type mutationDetector struct {
	mu     sync.Mutex
	stored map[Key][]byte
}

func newMutationDetector() *mutationDetector {
	if !detectMutations {
		return nil
	}
	return &mutationDetector{stored: map[Key][]byte{}}
}

// store records obj as cached under k.
func (d *mutationDetector) store(k Key, obj any) {
	if d == nil {
		return
	}
	b := encode(obj)
	d.mu.Lock()
	d.stored[k] = b
	d.mu.Unlock()
}

// check panics if obj, cached under k until now, differs from what was
// stored; gone drops k.
func (d *mutationDetector) check(k Key, obj any, gone bool) {
	if d == nil {
		return
	}
	d.mu.Lock()
	was, ok := d.stored[k]
	if gone {
		delete(d.stored, k)
	}
	d.mu.Unlock()
	if !ok {
		return
	}
	if now := encode(obj); !bytes.Equal(was, now) {
		panic(fmt.Sprintf("informer: cache mutation detected: cached object %s was changed in place (or a part it shares with other cached objects was); copy an object before changing it\nstored: %s\nnow:    %s", k, was, now))
	}
}

func encode(obj any) []byte {
	b, err := json.Marshal(obj)
	if err != nil {
		return []byte(err.Error())
	}
	return b
}
