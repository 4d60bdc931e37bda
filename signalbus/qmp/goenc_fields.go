package qmp

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// The struct field rules of encoding/json (Go 1.26, encode.go
// typeFields; BSD licence, The Go Authors), ported so that goJSON
// writes the same members, in the same order, under the same names.

// goField is one member a struct type encodes to.
type goField struct {
	name      string
	qname     []byte // name as QEMU writes a string, then ": "
	tag       bool   // the name came from a json tag
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

// typeFields is encoding/json's typeFields: a breadth-first walk of the
// embedded structs, then Go's dominance rules (modified by json tags).
func typeFields(t reflect.Type) []goField {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	current, next := []queued{}, []queued{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []goField
	for len(next) > 0 {
		current, next = next, current[:0]
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := 0; i < f.typ.NumField(); i++ {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					t := sf.Type
					if t.Kind() == reflect.Pointer {
						t = t.Elem()
					}
					if !sf.IsExported() && t.Kind() != reflect.Struct {
						continue // embedded unexported non-struct
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !isValidTag(name) {
					name = ""
				}
				index := append(slices.Clip(f.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					nextCount[ft]++ // explore its fields next round
					if nextCount[ft] == 1 {
						next = append(next, queued{typ: ft, index: index})
					}
					continue
				}
				fld := goField{
					name:      name,
					tag:       name != "",
					index:     index,
					quoted:    hasOption(opts, "string") && quotable(ft.Kind()),
					omitEmpty: hasOption(opts, "omitempty"),
					omitZero:  hasOption(opts, "omitzero"),
				}
				if fld.name == "" {
					fld.name = sf.Name
				}
				fld.qname = append(appendQString(nil, fld.name), ": "...)
				if fld.omitZero {
					fld.isZero = isZeroFunc(sf.Type)
				}
				fields = append(fields, fld)
				if count[f.typ] > 1 {
					// Several instances at this depth: a duplicate, so
					// that dominance drops the name.
					fields = append(fields, fields[len(fields)-1])
				}
			}
		}
	}
	slices.SortFunc(fields, func(a, b goField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.index), len(b.index)); c != 0 {
			return c
		}
		if a.tag != b.tag {
			if a.tag {
				return -1
			}
			return +1
		}
		return slices.Compare(a.index, b.index)
	})
	out := fields[:0]
	for advance, i := 0, 0; i < len(fields); i += advance {
		for advance = 1; i+advance < len(fields) && fields[i+advance].name == fields[i].name; advance++ {
		}
		same := fields[i : i+advance]
		if len(same) > 1 && len(same[0].index) == len(same[1].index) && same[0].tag == same[1].tag {
			continue // ambiguous: Go drops the name
		}
		out = append(out, same[0])
	}
	slices.SortFunc(out, func(a, b goField) int { return slices.Compare(a.index, b.index) })
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

// hasOption reports whether the comma-separated options hold name.
func hasOption(opts, name string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// isValidTag is encoding/json's test of a json tag name.
func isValidTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
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
