package signalbus

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// The members a struct type's values have, found as encoding/json finds
// them (Go 1.26, encode.go typeFields; the QMP endpoint's writer uses
// the same rules), so that a throttle key or exemption read by
// reflection is the member the event's data has under that name: fields
// of embedded structs are promoted, a json tag names a field, and of
// several fields with one name the shallowest wins, a tagged one over
// an untagged one at the same depth (none, if still tied).

// memberField is one member of a struct type.
type memberField struct {
	name  string
	tag   bool  // the name came from a json tag
	index []int // the field's index path (through embedded structs)
}

// jsonFields returns the members of struct type t.
func jsonFields(t reflect.Type) []memberField {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	current, next := []queued{}, []queued{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []memberField
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
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if sf.Anonymous {
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue // embedded unexported non-struct
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clip(f.index), i)
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					if nextCount[ft]++; nextCount[ft] == 1 {
						next = append(next, queued{typ: ft, index: index})
					}
					continue
				}
				fld := memberField{name: name, tag: name != "", index: index}
				if fld.name == "" {
					fld.name = sf.Name
				}
				fields = append(fields, fld)
				if count[f.typ] > 1 {
					fields = append(fields, fld) // several at this depth: dominance drops the name
				}
			}
		}
	}
	slices.SortFunc(fields, func(a, b memberField) int {
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
			continue // ambiguous: encoding/json drops the name
		}
		out = append(out, same[0])
	}
	return out
}

// findMember returns the member called name: the one with that very
// name, else the only one whose name equals it up to case (as
// encoding/json matches names when decoding).
func findMember(fields []memberField, name string) (memberField, bool) {
	var folded []memberField
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
		if strings.EqualFold(f.name, name) {
			folded = append(folded, f)
		}
	}
	if len(folded) == 1 {
		return folded[0], true
	}
	return memberField{}, false
}

// fieldOf returns the field at index in v (a struct), or false when an
// embedded pointer on the way is nil (its members are absent).
func fieldOf(v reflect.Value, index []int) (reflect.Value, bool) {
	for j, i := range index {
		if j > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// validTag is encoding/json's test of a json tag name.
func validTag(s string) bool {
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
