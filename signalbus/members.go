package signalbus

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/actorio/actorio/internal/jsonfields"
	"github.com/pkg/errors"
)

// Memberer is implemented by event types that can name their members'
// values themselves (generated types do); others are read by reflection,
// each member found as encoding/json names it (exported fields by json
// tag or name, those of embedded structs promoted; a name that is no
// member's finds the only one equal to it up to case), rendered as
// generated code renders them: a value with a String method (an enum) through that
// method, whatever its kind; else a string (of any string type) as
// itself, a bool as true or false, an integer in decimal, a float as
// strconv.FormatFloat(v, 'g', -1, bits); and a pointer (an optional
// member) as what it points to, or "" when it is nil (absent). Members
// of other types (lists, maps, interfaces, structs without String)
// cannot key a throttle or exemption, as generated types do not offer
// their list, struct and 'any' members: the signal is refused.
type Memberer interface {
	// SignalMember returns the value of member name as a string, and
	// whether the type has such a member. A panic in it is not passed on
	// to Emit's caller: the member reads as the panic's text, as fmt
	// prints a panicking String method.
	SignalMember(name string) (string, bool)
}

// member returns a function reading member name of a *T, as a string.
func member[T any](name string) (func(v *T) string, error) {
	var zero T
	if m, ok := any(&zero).(Memberer); ok {
		if _, has := signalMember(m, name); !has {
			return nil, errors.Errorf("no member %q", name)
		}
		return func(v *T) string {
			s, _ := signalMember(any(v).(Memberer), name)
			return s
		}, nil
	}
	t := reflect.TypeOf(zero)
	if t == nil || t.Kind() != reflect.Struct {
		return nil, errors.Errorf("no member %q: %v is not a struct", name, t)
	}
	f, ok := findMember(jsonfields.Of(t), name)
	if !ok {
		return nil, errors.Errorf("no member %q in %v", name, t)
	}
	ft := t.FieldByIndex(f.Index).Type
	format := formatter(ft)
	if format == nil {
		return nil, errors.Errorf("member %q of %v has type %v, which has no string value (not a string, bool, number, enum or pointer to one)",
			name, t, ft)
	}
	return func(v *T) string {
		fv, ok := fieldOf(reflect.ValueOf(v).Elem(), f.Index)
		if !ok {
			return "" // an embedded pointer is nil: the member is absent
		}
		return format(fv)
	}, nil
}

var stringerType = reflect.TypeOf((*fmt.Stringer)(nil)).Elem()

// formatter returns the function rendering a value of type t as a member
// value (see Memberer), or nil if t has none. The values it is given are
// addressable (fields of a struct reached through a pointer).
func formatter(t reflect.Type) func(reflect.Value) string {
	switch {
	case t.Kind() == reflect.Pointer:
		elem := formatter(t.Elem())
		if elem == nil {
			return nil
		}
		return func(v reflect.Value) string {
			if v.IsNil() {
				return "" // an absent optional member, as in generated code
			}
			return elem(v.Elem())
		}
	case t.Kind() == reflect.Interface:
		return nil
	case t.Implements(stringerType):
		return func(v reflect.Value) string { return str(v.Interface().(fmt.Stringer)) }
	case reflect.PointerTo(t).Implements(stringerType):
		return func(v reflect.Value) string { return str(v.Addr().Interface().(fmt.Stringer)) }
	}
	switch t.Kind() {
	case reflect.String:
		return reflect.Value.String
	case reflect.Bool:
		return func(v reflect.Value) string { return strconv.FormatBool(v.Bool()) }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value) string { return strconv.FormatInt(v.Int(), 10) }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(v reflect.Value) string { return strconv.FormatUint(v.Uint(), 10) }
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(v reflect.Value) string { return strconv.FormatFloat(v.Float(), 'g', -1, bits) }
	}
	return nil
}

// prepareThrottle resolves the throttle's key and exempt members, each an
// accessor argument or a member of T.
func (s *Signal[T]) prepareThrottle() error {
	th := s.info.Throttle
	if th == nil {
		return nil
	}
	if th.Period <= 0 {
		return errors.Errorf("signalbus: signal %s: throttle period %v must be positive", s.info.Name, th.Period)
	}
	read := func(name string) (func(v *T, args []string) string, error) {
		for i, a := range s.info.Args {
			if a.Name == name {
				return func(_ *T, args []string) string { return args[i] }, nil
			}
		}
		f, err := member[T](name)
		if err != nil {
			return nil, errors.Wrapf(err, "signalbus: signal %s: throttle", s.info.Name)
		}
		return func(v *T, _ []string) string { return f(v) }, nil
	}
	s.key = func(*T, []string) string { return "" }
	if th.Key != "" {
		f, err := read(th.Key)
		if err != nil {
			return err
		}
		s.key = f
	}
	type exemption struct {
		get    func(v *T, args []string) string
		values []string
	}
	var ex []exemption
	for _, name := range sortedNames(th.Exempt) {
		f, err := read(name)
		if err != nil {
			return err
		}
		ex = append(ex, exemption{f, th.Exempt[name]})
	}
	s.exempt = func(v *T, args []string) bool {
		for _, e := range ex {
			got := e.get(v, args)
			for _, want := range e.values {
				if got == want {
					return true
				}
			}
		}
		return false
	}
	return nil
}

func sortedNames(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m { //detguard:unordered sorted below
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// signalMember calls m.SignalMember, turning a panic into a value as str
// does for String, so that a faulty method cannot take Emit (or the
// signal) down: the member then reads as that text.
func signalMember(m Memberer, name string) (out string, has bool) {
	defer func() {
		if r := recover(); r != nil {
			out, has = panicText("SignalMember", r), true
		}
	}()
	return m.SignalMember(name)
}

// str calls s.String, turning a panic into a string as fmt does, so that
// a faulty String method cannot take the signal down.
func str(s fmt.Stringer) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = panicText("String", r)
		}
	}()
	return s.String()
}

// panicText is what a member reads as when the method rendering it
// panicked with r, as fmt prints a panicking String method.
func panicText(method string, r any) string {
	return fmt.Sprintf("%%!v(PANIC=%s method: %v)", method, r)
}
