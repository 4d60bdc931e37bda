package signalbus

import (
	"reflect"
	"strings"

	"github.com/actorio/actorio/internal/jsonfields"
)

// The members a struct type's values have are found as encoding/json
// finds them (internal/jsonfields; the QMP endpoint's writer uses the
// same rules), so that a throttle key or exemption read by reflection is
// the member the event's data has under that name.

// findMember returns the member called name: the one with that very
// name, else the only one whose name equals it up to case (as
// encoding/json matches names when decoding).
func findMember(fields []jsonfields.Field, name string) (jsonfields.Field, bool) {
	var folded []jsonfields.Field
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
		if strings.EqualFold(f.Name, name) {
			folded = append(folded, f)
		}
	}
	if len(folded) == 1 {
		return folded[0], true
	}
	return jsonfields.Field{}, false
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
