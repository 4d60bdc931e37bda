package qmp

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/pkg/errors"
)

// goJSON writes the Go value v as QEMU writes JSON (one ASCII line,
// ", " and ": " between tokens, QEMU's string escapes) with the
// members, names and values encoding/json gives it — struct tags
// (omitempty, omitzero, "-", string), embedded structs, json.Marshaler
// and encoding.TextMarshaler, maps with sorted keys, []byte as base64,
// json.Number, json.RawMessage — but with Go's number kinds kept, as
// QEMU's QNum keeps double and int apart: an integer is written as an
// integer, a float32 or float64 as QEMU writes a double ("%.17g", so
// 1e17 is "1e+17", not the digits encoding/json prints, and NaN and
// ±Inf are "nan", "inf", "-inf" rather than an error).
//
// The output of a MarshalJSON method has no Go types: it is re-encoded
// by qemuJSON (a number is an integer when it is one that fits 64
// bits). A float with the ",string" option is the string encoding/json
// writes ("nan", "inf", "-inf" for the values it cannot).
func goJSON(v any) ([]byte, error) {
	e := &goEncoder{buf: make([]byte, 0, 128)}
	if err := e.value(reflect.ValueOf(v), false); err != nil {
		return nil, err
	}
	return e.buf, nil
}

// goEncoder is one goJSON call.
type goEncoder struct {
	buf []byte
	// Pointers, maps and slices being written, once nested deeper than
	// cycleDepth (encoding/json's cycle detection).
	depth uint
	seen  map[any]struct{}
}

const cycleDepth = 1000

// goType is what goJSON needs to know of a type (cached).
type goType struct {
	marshaler, ptrMarshaler bool // implements json.Marshaler (t, *t)
	text, ptrText           bool // implements encoding.TextMarshaler (t, *t)
	byteSlice               bool // a []byte written as base64
	mapKeyOK                bool // a map whose keys encoding/json can write
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	numberType        = reflect.TypeFor[json.Number]()
	typeCache         sync.Map // reflect.Type → *goType
)

func typeInfo(t reflect.Type) *goType {
	if ti, ok := typeCache.Load(t); ok {
		return ti.(*goType)
	}
	ti := &goType{
		marshaler: t.Implements(marshalerType),
		text:      t.Implements(textMarshalerType),
	}
	if t.Kind() != reflect.Pointer {
		pt := reflect.PointerTo(t)
		ti.ptrMarshaler = pt.Implements(marshalerType)
		ti.ptrText = pt.Implements(textMarshalerType)
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			p := reflect.PointerTo(t.Elem())
			ti.byteSlice = !p.Implements(marshalerType) && !p.Implements(textMarshalerType)
		}
	case reflect.Map:
		switch t.Key().Kind() {
		case reflect.String,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			ti.mapKeyOK = true
		default:
			ti.mapKeyOK = t.Key().Implements(textMarshalerType)
		}
	}
	got, _ := typeCache.LoadOrStore(t, ti)
	return got.(*goType)
}

// value writes v; quoted is the ",string" option of the field it is.
// The method checks are encoding/json's newTypeEncoder, in its order.
func (e *goEncoder) value(v reflect.Value, quoted bool) error {
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	ti := typeInfo(v.Type())
	switch {
	case !v.CanInterface(): // reached through an unexported embedded field
	case ti.ptrMarshaler && v.CanAddr():
		return e.marshalJSON(v.Addr())
	case ti.marshaler:
		return e.marshalJSON(v)
	case ti.ptrText && !ti.ptrMarshaler && v.CanAddr():
		return e.marshalText(v.Addr())
	case ti.text:
		return e.marshalText(v)
	}
	return e.kind(v, ti, quoted)
}

// kind writes v by its kind.
func (e *goEncoder) kind(v reflect.Value, ti *goType, quoted bool) error {
	switch v.Kind() {
	case reflect.Bool:
		e.buf = appendQuote(e.buf, quoted)
		e.buf = strconv.AppendBool(e.buf, v.Bool())
		e.buf = appendQuote(e.buf, quoted)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = appendQuote(e.buf, quoted)
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
		e.buf = appendQuote(e.buf, quoted)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = appendQuote(e.buf, quoted)
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
		e.buf = appendQuote(e.buf, quoted)
	case reflect.Float32, reflect.Float64:
		if quoted {
			e.buf = appendQString(e.buf, goFloatString(v.Float(), v.Type().Bits()))
		} else {
			e.buf = append(e.buf, formatDouble(v.Float())...)
		}
	case reflect.String:
		return e.str(v, quoted)
	case reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return e.value(v.Elem(), quoted)
	case reflect.Struct:
		return e.structValue(v)
	case reflect.Map:
		if !ti.mapKeyOK {
			return &json.UnsupportedTypeError{Type: v.Type()}
		}
		return e.nested(v, e.mapValue)
	case reflect.Slice:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		if ti.byteSlice {
			e.buf = append(e.buf, '"')
			e.buf = base64.StdEncoding.AppendEncode(e.buf, v.Bytes())
			e.buf = append(e.buf, '"')
			return nil
		}
		return e.nested(v, e.list)
	case reflect.Array:
		return e.list(v)
	case reflect.Pointer:
		return e.nested(v, func(v reflect.Value) error { return e.value(v.Elem(), quoted) })
	default:
		return &json.UnsupportedTypeError{Type: v.Type()}
	}
	return nil
}

// nested writes the pointer, map or slice v with write, null if it is
// nil, an error if it is part of a cycle.
func (e *goEncoder) nested(v reflect.Value, write func(reflect.Value) error) error {
	if v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if e.depth++; e.depth > cycleDepth {
		var key any = v.UnsafePointer()
		if v.Kind() == reflect.Slice {
			key = struct {
				p any
				n int
			}{v.UnsafePointer(), v.Len()}
		} else if v.Kind() == reflect.Pointer {
			key = struct {
				p any
				t reflect.Type
			}{v.UnsafePointer(), v.Type()}
		}
		if _, ok := e.seen[key]; ok {
			return &json.UnsupportedValueError{Value: v, Str: fmt.Sprintf("encountered a cycle via %s", v.Type())}
		}
		if e.seen == nil {
			e.seen = map[any]struct{}{}
		}
		e.seen[key] = struct{}{}
		defer delete(e.seen, key)
	}
	err := write(v)
	e.depth--
	return err
}

func (e *goEncoder) str(v reflect.Value, quoted bool) error {
	s := v.String()
	if v.Type() == numberType {
		if s == "" {
			s = "0"
		}
		if !isValidNumber(s) {
			return errors.Errorf("json: invalid number literal %q", s)
		}
		if quoted {
			e.buf = appendQString(e.buf, s)
		} else {
			e.buf = appendGoNumber(e.buf, []byte(s))
		}
		return nil
	}
	if quoted { // the string of encoding/json's encoding of s
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			return errors.Wrapf(err, "encoding string %q", s)
		}
		s = strings.TrimSuffix(b.String(), "\n")
	}
	e.buf = appendQString(e.buf, validUTF8(s))
	return nil
}

func (e *goEncoder) structValue(v reflect.Value) error {
	e.buf = append(e.buf, '{')
	first := true
	fields := structFields(v.Type())
fieldLoop:
	for i := range fields {
		f := &fields[i]
		fv := v
		for _, i := range f.index {
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue fieldLoop // a nil embedded pointer: its fields are absent
				}
				fv = fv.Elem()
			}
			fv = fv.Field(i)
		}
		if f.omitEmpty && isEmptyValue(fv) ||
			f.omitZero && (f.isZero == nil && fv.IsZero() || f.isZero != nil && f.isZero(fv)) {
			continue
		}
		if !first {
			e.buf = append(e.buf, ", "...)
		}
		first = false
		e.buf = append(e.buf, f.qname...)
		if err := e.value(fv, f.quoted); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *goEncoder) mapValue(v reflect.Value) error {
	type entry struct {
		key string
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); { //detguard:unordered sorted below (of several bad keys, which one the error names is random, as in encoding/json)
		k, err := mapKey(it.Key())
		if err != nil {
			return errors.Wrapf(err, "json: encoding a key of %s", v.Type())
		}
		entries = append(entries, entry{k, it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	e.buf = append(e.buf, '{')
	for i, en := range entries {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		e.buf = appendQString(e.buf, validUTF8(en.key))
		e.buf = append(e.buf, ": "...)
		if err := e.value(en.val, false); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// mapKey is encoding/json's resolveKeyName.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if k.CanInterface() {
		if tm, ok := reflect.TypeAssert[encoding.TextMarshaler](k); ok {
			if k.Kind() == reflect.Pointer && k.IsNil() {
				return "", nil
			}
			b, err := tm.MarshalText()
			return string(b), err
		}
	}
	switch {
	case k.CanInt():
		return strconv.FormatInt(k.Int(), 10), nil
	case k.CanUint():
		return strconv.FormatUint(k.Uint(), 10), nil
	}
	return "", errors.Errorf("key of type %s read through an unexported field", k.Type())
}

func (e *goEncoder) list(v reflect.Value) error {
	e.buf = append(e.buf, '[')
	for i := range v.Len() {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		if err := e.value(v.Index(i), false); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}
