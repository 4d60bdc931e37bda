// Package jsonfields finds the members a struct type's values encode to,
// by encoding/json's rules (Go 1.26, encode.go typeFields; BSD licence,
// The Go Authors): fields of embedded structs are promoted, a json tag
// names a field, and of several fields with one name the shallowest wins,
// a tagged one over an untagged one at the same depth (none, if still
// tied). signalbus reads throttle keys by them and signalbus/qmp writes
// events by them, so that both agree with encoding/json and each other.
package jsonfields

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// Field is one member of a struct type.
type Field struct {
	// Name is the member's name: its json tag's, else the field's.
	Name string
	// Tagged says Name came from a json tag.
	Tagged bool
	// Index is the field's index path, through embedded structs.
	Index []int
	// Opts are the json tag's options after the name ("omitempty,string").
	Opts string
	// Type is the field's type.
	Type reflect.Type
}

// HasOption reports whether the field's json tag has option name.
func (f Field) HasOption(name string) bool {
	for opts := f.Opts; opts != ""; {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == name {
			return true
		}
	}
	return false
}

// Of returns the members of struct type t, in the order of their index
// paths (encoding/json's order).
func Of(t reflect.Type) []Field {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	current, next := []queued{}, []queued{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	var fields []Field
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
				name, opts, _ := strings.Cut(tag, ",")
				if !ValidTag(name) {
					name = ""
				}
				index := append(slices.Clip(f.index), i)
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
					if nextCount[ft]++; nextCount[ft] == 1 {
						next = append(next, queued{typ: ft, index: index}) // its fields, next round
					}
					continue
				}
				fld := Field{Name: name, Tagged: name != "", Index: index, Opts: opts, Type: sf.Type}
				if fld.Name == "" {
					fld.Name = sf.Name
				}
				fields = append(fields, fld)
				if count[f.typ] > 1 {
					fields = append(fields, fld) // several at this depth: dominance drops the name
				}
			}
		}
	}
	slices.SortFunc(fields, func(a, b Field) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.Index), len(b.Index)); c != 0 {
			return c
		}
		if a.Tagged != b.Tagged {
			if a.Tagged {
				return -1
			}
			return +1
		}
		return slices.Compare(a.Index, b.Index)
	})
	out := fields[:0]
	for advance, i := 0, 0; i < len(fields); i += advance {
		for advance = 1; i+advance < len(fields) && fields[i+advance].Name == fields[i].Name; advance++ {
		}
		same := fields[i : i+advance]
		if len(same) > 1 && len(same[0].Index) == len(same[1].Index) && same[0].Tagged == same[1].Tagged {
			continue // ambiguous: encoding/json drops the name
		}
		out = append(out, same[0])
	}
	slices.SortFunc(out, func(a, b Field) int { return slices.Compare(a.Index, b.Index) })
	return out
}

// ValidTag is encoding/json's test of a json tag name.
func ValidTag(s string) bool {
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
