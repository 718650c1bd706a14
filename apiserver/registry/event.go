package registry

import (
	"strings"
	"time"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/api/validation"
)

// events: core/v1 Event, the version events are stored at; eventsV1
// serves the same objects as events.k8s.io/v1. Its table lists the
// columns of kubectl get events itself, NAME (wide) among them.
var events = &Resource{
	Version: "v1", Kind: "Event", Name: "events", Singular: "event", Namespaced: true,
	ShortNames: []string{"ev"},
	Schema:     GoType[api.Event](),
	Strategy:   Strategy{Validate: Typed(validation.ValidateEvent)},
	Convert:    func(o Object, _ string) error { return ConvertTyped(o, api.EventFromV1) },
	Fields: map[string][]string{
		"involvedObject.kind":            {"involvedObject", "kind"},
		"involvedObject.namespace":       {"involvedObject", "namespace"},
		"involvedObject.name":            {"involvedObject", "name"},
		"involvedObject.uid":             {"involvedObject", "uid"},
		"involvedObject.apiVersion":      {"involvedObject", "apiVersion"},
		"involvedObject.resourceVersion": {"involvedObject", "resourceVersion"},
		"involvedObject.fieldPath":       {"involvedObject", "fieldPath"},
		"reason":                         {"reason"},
		"reportingComponent":             {"reportingComponent"},
		"source":                         {"source", "component"},
		"type":                           {"type"},
	},
	Columns: []Column{
		{Name: "Last Seen", Type: "string", Description: "The time at which the most recent occurrence of this event was recorded.",
			Cell: func(o map[string]any, now time.Time) any { last, _, _ := eventTimes(o, now); return last }},
		{Name: "Type", Type: "string", Description: "Type of this event (Normal, Warning).",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "type") }},
		{Name: "Reason", Type: "string", Description: "A short, machine understandable reason for the event.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "reason") }},
		{Name: "Object", Type: "string", Description: "The object this event is about.",
			Cell: func(o map[string]any, _ time.Time) any { return eventObject(o) }},
		{Name: "Subobject", Type: "string", Priority: 1, Description: "The part of the object this event is about.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "involvedObject", "fieldPath") }},
		{Name: "Source", Type: "string", Priority: 1, Description: "The component reporting this event.",
			Cell: func(o map[string]any, _ time.Time) any { return eventSource(o) }},
		{Name: "Message", Type: "string", Description: "A human-readable description of the event.",
			Cell: func(o map[string]any, _ time.Time) any { return strings.TrimSpace(str(o, "message")) }},
		{Name: "First Seen", Type: "string", Priority: 1, Description: "The time at which the event was first recorded.",
			Cell: func(o map[string]any, now time.Time) any { _, first, _ := eventTimes(o, now); return first }},
		{Name: "Count", Type: "string", Priority: 1, Description: "The number of times this event has occurred.",
			Cell: func(o map[string]any, now time.Time) any { _, _, count := eventTimes(o, now); return count }},
		{Name: "Name", Type: "string", Format: "name", Priority: 1, Description: "Name must be unique within a namespace.",
			Cell: func(o map[string]any, _ time.Time) any { return str(o, "metadata", "name") }},
	},
}

// eventsV1: events.k8s.io/v1 Event, what client-go's events package and
// kube-scheduler write: the objects of events, converted (regarding for
// involvedObject, note for message, deprecated* for core/v1's own
// fields). Its field selectors are Kubernetes' for this version
// (regarding.name, not involvedObject.name), and its table is the core
// one, as Kubernetes serves both from one storage.
var eventsV1 = &Resource{
	Group: "events.k8s.io", Version: "v1", Kind: "Event", Name: "events", Singular: "event", Namespaced: true,
	ShortNames: []string{"ev"},
	Schema:     GoType[api.EventV1](),
	Strategy:   Strategy{Validate: Typed(validation.ValidateEventV1)},
	Storage:    events,
	Convert:    func(o Object, _ string) error { return ConvertTyped(o, api.EventToV1) },
	Fields: map[string][]string{
		"regarding.kind":            {"regarding", "kind"},
		"regarding.namespace":       {"regarding", "namespace"},
		"regarding.name":            {"regarding", "name"},
		"regarding.uid":             {"regarding", "uid"},
		"regarding.apiVersion":      {"regarding", "apiVersion"},
		"regarding.resourceVersion": {"regarding", "resourceVersion"},
		"regarding.fieldPath":       {"regarding", "fieldPath"},
		"reason":                    {"reason"},
		"reportingController":       {"reportingController"},
		"source":                    {"deprecatedSource", "component"},
		"type":                      {"type"},
	},
	TableAsStored: true,
}

func init() {
	register(events)
	register(eventsV1)
}

// eventTimes are an event's LAST SEEN, FIRST SEEN and COUNT, from the
// core/v1 timestamps or, for events.k8s.io-style events, from eventTime and
// series.
func eventTimes(o map[string]any, now time.Time) (last, first string, count int64) {
	firstTS := str(o, "firstTimestamp")
	if firstTS == "" {
		firstTS = str(o, "eventTime")
	}
	first = since(firstTS, now)
	last = first
	if ts := str(o, "lastTimestamp"); ts != "" {
		last = since(ts, now)
	}
	count = num(o, "count")
	if series := mapAt(o, "series"); series != nil {
		last = since(str(series, "lastObservedTime"), now)
		count = num(series, "count")
	} else if count == 0 {
		count = 1
	}
	return last, first, count
}

// eventObject is "kind/name" of the object an event is about.
func eventObject(o map[string]any) string {
	kind := strings.ToLower(str(o, "involvedObject", "kind"))
	if name := str(o, "involvedObject", "name"); name != "" {
		return kind + "/" + name
	}
	return kind
}

// eventSource is "component, host" of the event's reporter.
func eventSource(o map[string]any) string {
	component := str(o, "source", "component")
	if component == "" {
		component = str(o, "reportingComponent")
	}
	host := str(o, "source", "host")
	if host == "" {
		host = str(o, "reportingInstance")
	}
	if component == "" {
		return ""
	}
	if host == "" {
		return component
	}
	return component + ", " + host
}
