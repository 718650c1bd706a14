package apiserver

import (
	"reflect"

	"github.com/minik8s/minik8s/api"
	"github.com/minik8s/minik8s/apiserver/structural"
)

var objectMetaType = reflect.TypeOf(api.ObjectMeta{})

// structuralSchemaOf is the fieldSchema of a custom resource's structural
// schema (from v := schema.FieldView() at the root): it reports what
// structural pruning drops. The metadata of the root and of embedded
// resources is walked as ObjectMeta.
func structuralSchemaOf(v structural.FieldView) fieldSchema {
	if v.ObjectMeta() {
		return goSchemaOf(objectMetaType)
	}
	return structuralSchema{v}
}

type structuralSchema struct{ v structural.FieldView }

func (s structuralSchema) Shape() shape {
	switch s.v.Shape() {
	case structural.ShapeObject:
		return shapeObject
	case structural.ShapeList:
		return shapeList
	case structural.ShapeMap:
		return shapeMap
	}
	return shapeAny
}

func (s structuralSchema) Field(name string) (fieldSchema, bool) {
	f, ok := s.v.Field(name)
	if !ok {
		return nil, false
	}
	return structuralSchemaOf(f), true
}

func (s structuralSchema) Elem() fieldSchema { return structuralSchemaOf(s.v.Elem()) }
