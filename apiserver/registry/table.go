package registry

import (
	"maps"
	"time"
)

// Values of the includeObject query parameter of a table request.
const (
	IncludeNone     = "None"
	IncludeMetadata = "Metadata"
	IncludeObject   = "Object"
)

// nameColumn and ageColumn frame most tables, as in Kubernetes' printers.
var (
	nameColumn = Column{
		Name: "Name", Type: "string", Format: "name",
		Description: "Name must be unique within a namespace.",
		Cell:        func(obj map[string]any, _ time.Time) any { return str(obj, "metadata", "name") },
	}
	ageColumn = Column{
		Name: "Age", Type: "string",
		Description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
		Cell: func(obj map[string]any, now time.Time) any {
			return since(str(obj, "metadata", "creationTimestamp"), now)
		},
	}
)

// TableColumns returns every column of the resource's table, in order.
// NAME comes first and AGE last, unless Columns places them itself: a kind
// whose Columns include a column of format "name" (events) lists its whole
// table, and one whose Columns include "Age" (pods, nodes) puts AGE where
// kubectl shows it.
func (r *Resource) TableColumns() []Column {
	if r.TableAsStored {
		return r.Storage.TableColumns()
	}
	hasName, hasAge := false, false
	for _, c := range r.Columns {
		hasName = hasName || c.Format == "name"
		hasAge = hasAge || c.Name == ageColumn.Name
	}
	if hasName {
		return r.Columns
	}
	cols := make([]Column, 0, len(r.Columns)+2)
	cols = append(cols, nameColumn)
	cols = append(cols, r.Columns...)
	if !hasAge {
		cols = append(cols, ageColumn)
	}
	return cols
}

// Table renders items (decoded objects of this resource) as a meta.k8s.io/v1
// Table, the body kubectl get asks for. Every row has a cell for every
// column, wide ones included; kubectl hides columns with priority > 0 unless
// asked for -o wide. includeObject says what each row's object is:
// IncludeMetadata (or "") a PartialObjectMetadata, IncludeObject the item
// itself, IncludeNone nothing. rv is the table's resourceVersion, and ages
// are computed at now. Table does not modify items.
func (r *Resource) Table(items []map[string]any, includeObject string, rv string, now time.Time) map[string]any {
	cols := r.TableColumns()
	defs := make([]any, len(cols))
	for i, c := range cols {
		defs[i] = map[string]any{
			"name": c.Name, "type": c.Type, "format": c.Format,
			"description": c.Description, "priority": c.Priority,
		}
	}
	rows := make([]any, len(items))
	for i, item := range items {
		view := item
		if r.TableAsStored {
			// ConvertTo replaces the top-level fields only.
			view = maps.Clone(item)
			if err := r.Storage.ConvertTo(view); err != nil {
				view = item
			}
		}
		cells := make([]any, len(cols))
		for j, c := range cols {
			cells[j] = c.Cell(view, now)
		}
		row := map[string]any{"cells": cells}
		switch includeObject {
		case IncludeNone:
		case IncludeObject:
			row["object"] = item
		default:
			meta, _ := item["metadata"].(map[string]any)
			row["object"] = map[string]any{
				"kind":       "PartialObjectMetadata",
				"apiVersion": "meta.k8s.io/v1",
				"metadata":   meta,
			}
		}
		rows[i] = row
	}
	return map[string]any{
		"kind":              "Table",
		"apiVersion":        "meta.k8s.io/v1",
		"metadata":          map[string]any{"resourceVersion": rv},
		"columnDefinitions": defs,
		"rows":              rows,
	}
}
