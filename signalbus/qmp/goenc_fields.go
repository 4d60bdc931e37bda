package qmp

import (
	"reflect"
	"sync"

	"github.com/actorio/actorio/internal/jsonfields"
)

// The struct field rules of encoding/json (internal/jsonfields), so that
// goJSON writes the same members, in the same order, under the same
// names.

// goField is one member a struct type encodes to.
type goField struct {
	name      string
	qname     []byte // name as QEMU writes a string, then ": "
	index     []int  // the field's index path (through embedded structs)
	quoted    bool   // the ",string" option, on a type it applies to
	omitEmpty bool
	omitZero  bool
	isZero    func(reflect.Value) bool // omitzero through an IsZero method
}

type isZeroer interface{ IsZero() bool }

var (
	isZeroerType = reflect.TypeFor[isZeroer]()
	fieldCache   sync.Map // reflect.Type → []goField
)

// structFields returns the members t encodes to, as encoding/json
// finds them (cached).
func structFields(t reflect.Type) []goField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]goField)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.([]goField)
}

// typeFields is encoding/json's typeFields (internal/jsonfields), with
// what goJSON needs of each member's options.
func typeFields(t reflect.Type) []goField {
	var out []goField
	for _, f := range jsonfields.Of(t) {
		ft := f.Type
		if ft.Name() == "" && ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		fld := goField{
			name:      f.Name,
			index:     f.Index,
			quoted:    f.HasOption("string") && quotable(ft.Kind()),
			omitEmpty: f.HasOption("omitempty"),
			omitZero:  f.HasOption("omitzero"),
		}
		fld.qname = append(appendQString(nil, fld.name), ": "...)
		if fld.omitZero {
			fld.isZero = isZeroFunc(f.Type)
		}
		out = append(out, fld)
	}
	return out
}

// quotable reports whether the ",string" option applies to kind k.
func quotable(k reflect.Kind) bool {
	switch k {
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// isZeroFunc is the omitzero test through t's IsZero method, or nil
// when t has none (reflect's IsZero then). A value read through an
// unexported embedded field (where encoding/json would panic) falls
// back to reflect's IsZero.
func isZeroFunc(t reflect.Type) func(reflect.Value) bool {
	call := func(v reflect.Value) bool {
		z, ok := reflect.TypeAssert[isZeroer](v)
		return ok && z.IsZero()
	}
	f := isZeroMethod(t, call)
	if f == nil {
		return nil
	}
	return func(v reflect.Value) bool {
		if !v.CanInterface() {
			return v.IsZero()
		}
		return f(v)
	}
}

func isZeroMethod(t reflect.Type, call func(reflect.Value) bool) func(reflect.Value) bool {
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return func(v reflect.Value) bool {
			return v.IsNil() || (v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil()) || call(v)
		}
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return func(v reflect.Value) bool { return v.IsNil() || call(v) }
	case t.Implements(isZeroerType):
		return call
	case reflect.PointerTo(t).Implements(isZeroerType):
		return func(v reflect.Value) bool {
			if !v.CanAddr() {
				v2 := reflect.New(v.Type()).Elem()
				v2.Set(v)
				v = v2
			}
			return call(v.Addr())
		}
	}
	return nil
}
