package signalbus

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/pkg/errors"
)

// Memberer is implemented by event types that can name their members'
// values themselves (generated types do); others are read by reflection
// through their json tags.
type Memberer interface {
	// SignalMember returns the value of member name as a string, and
	// whether the type has such a member.
	SignalMember(name string) (string, bool)
}

// member returns a function reading member name of a *T, as a string.
func member[T any](name string) (func(v *T) string, error) {
	var zero T
	if m, ok := any(&zero).(Memberer); ok {
		if _, has := m.SignalMember(name); !has {
			return nil, errors.Errorf("no member %q", name)
		}
		return func(v *T) string {
			s, _ := any(v).(Memberer).SignalMember(name)
			return s
		}, nil
	}
	t := reflect.TypeOf(zero)
	if t == nil || t.Kind() != reflect.Struct {
		return nil, errors.Errorf("no member %q: %v is not a struct", name, t)
	}
	idx := -1
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, errors.Errorf("no member %q in %v", name, t)
	}
	return func(v *T) string { return fmt.Sprint(reflect.ValueOf(v).Elem().Field(idx).Interface()) }, nil
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
