package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/minik8s/minik8s/api"
)

// EventType is the type of a watch event.
type EventType string

const (
	Added    EventType = "ADDED"
	Modified EventType = "MODIFIED"
	Deleted  EventType = "DELETED"
	// Bookmark carries only a newer resourceVersion, in Object's metadata.
	Bookmark EventType = "BOOKMARK"
	// Error ends a stream; Err says why.
	Error EventType = "ERROR"
)

// WatchEvent is one event of a watch. For Added and Modified, Object is the
// new state; for Deleted, the last state. For Error, Object is the zero
// value and Err is a *StatusError sent by the server (IsGone: relist) or the
// failure to decode the stream.
type WatchEvent[T any] struct {
	Type   EventType
	Object T
	Err    error
}

// Watch streams the changes after resourceVersion fromRV (0: from now, the
// server's choice) of the objects matching opt, with bookmarks. The channel
// closes when the stream ends: the server closed it (timeoutSeconds, a
// restart), ctx ended, or after an Error event. A watch that cannot start
// returns the error, IsGone if fromRV is too old.
func (r *ResourceClient[T, PT]) Watch(ctx context.Context, opt ListOptions, fromRV int64) (<-chan WatchEvent[PT], error) {
	q := opt.query()
	q.Set("watch", "true")
	q.Set("allowWatchBookmarks", "true")
	if fromRV > 0 {
		q.Set("resourceVersion", strconv.FormatInt(fromRV, 10))
	}
	resp, err := r.c.send(ctx, &request{method: http.MethodGet, path: r.path(r.ns, "", ""), query: q, watch: true})
	if err != nil {
		return nil, err
	}
	ch := make(chan WatchEvent[PT])
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		decodeWatch(ctx, resp.Body, ch, opt.Shared)
	}()
	return ch, nil
}

// decodeWatch sends the events read from body to ch until the stream ends,
// an ERROR event was sent, or ctx is done. With shared, an object the
// process's informers keep already is not decoded again (sharedObject).
func decodeWatch[T any, PT interface {
	*T
	api.Object
}](ctx context.Context, body io.Reader, ch chan<- WatchEvent[PT], shared bool) {
	send := func(ev WatchEvent[PT]) bool {
		select {
		case ch <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	dec := api.NewTrustedDecoder(body)
	// raw is each event as read, in one array reused from event to event;
	// the event is then decoded once, its object straight into T (an
	// informer compacts what it keeps). An ERROR event's Status does not
	// fit T: it is decoded again from raw.
	var raw json.RawMessage
	for {
		if err := dec.Decode(&raw); err != nil {
			// EOF is the server ending the stream; an error after ctx ended
			// is our own cancellation. Anything else is worth reporting.
			if !errors.Is(err, io.EOF) && ctx.Err() == nil {
				send(WatchEvent[PT]{Type: Error, Err: fmt.Errorf("decode watch stream: %w", err)})
			}
			return
		}
		if shared {
			if t, obj, ok := sharedEvent[PT](raw); ok {
				if !send(WatchEvent[PT]{Type: t, Object: obj}) {
					return
				}
				continue
			}
		}
		var ev struct {
			Type   EventType `json:"type"`
			Object PT        `json:"object"`
		}
		err := api.UnmarshalTrusted(raw, &ev)
		switch t := ev.Type; t {
		case Added, Modified, Deleted, Bookmark:
			if err == nil && ev.Object == nil {
				err = errors.New("no object")
			}
			if err != nil {
				send(WatchEvent[PT]{Type: Error, Err: fmt.Errorf("decode %s event object: %w", t, err)})
				return
			}
			if !send(WatchEvent[PT]{Type: t, Object: ev.Object}) {
				return
			}
		case Error:
			var e api.WatchEvent
			var st api.Status
			if err := api.Unmarshal(raw, &e); err != nil {
				send(WatchEvent[PT]{Type: Error, Err: fmt.Errorf("decode ERROR event: %w", err)})
				return
			}
			if err := api.Unmarshal(e.Object, &st); err != nil {
				send(WatchEvent[PT]{Type: Error, Err: fmt.Errorf("decode ERROR event: %w", err)})
				return
			}
			if st.Reason == "" {
				st.Reason = api.ReasonForCode(int(st.Code))
			}
			send(WatchEvent[PT]{Type: Error, Err: &StatusError{Status: st}})
			return
		default:
			// An event type from a newer server: skip it, as client-go does.
		}
	}
}

// sharedEvent returns the object of an ADDED, MODIFIED or DELETED event if
// the process's informers keep it already (api.Shared), reading only the
// event's type and the object's apiVersion, UID and resourceVersion from
// raw: about a microsecond, where decoding a pod takes fifteen.
func sharedEvent[PT any](raw []byte) (EventType, PT, bool) {
	r := gjson.GetManyBytes(raw, "type", "object.apiVersion", "object.metadata.uid", "object.metadata.resourceVersion")
	var zero PT
	switch t := EventType(r[0].Str); t {
	case Added, Modified, Deleted:
		obj, ok := sharedObject[PT](r[1], r[2], r[3])
		return t, obj, ok
	}
	return "", zero, false
}

// sharedObject returns the object kept (api.Shared) under the apiVersion,
// UID and resourceVersion read from its JSON.
func sharedObject[PT any](apiVersion, uid, rv gjson.Result) (PT, bool) {
	if uid.Type != gjson.String || rv.Type != gjson.String || uid.Str == "" || rv.Str == "" {
		var zero PT
		return zero, false
	}
	return api.Shared[PT](api.Version{APIVersion: apiVersion.Str, UID: uid.Str, ResourceVersion: rv.Str})
}
