package qmp

import (
	"bytes"
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// marshalJSON writes the output of v's MarshalJSON, re-encoded by
// qemuJSON; a nil pointer is null.
func (e *goEncoder) marshalJSON(v reflect.Value) error {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	m, ok := reflect.TypeAssert[json.Marshaler](v)
	if !ok { // a nil interface
		e.buf = append(e.buf, "null"...)
		return nil
	}
	b, err := m.MarshalJSON()
	if err == nil && !json.Valid(b) {
		err = json.Compact(new(bytes.Buffer), b) // the syntax error
	}
	if err == nil {
		var out []byte
		if out, err = qemuJSON(b); err == nil {
			e.buf = append(e.buf, out...)
			return nil
		}
	}
	return &json.MarshalerError{Type: v.Type(), Err: err}
}

// marshalText writes the output of v's MarshalText as a string; a nil
// pointer is null.
func (e *goEncoder) marshalText(v reflect.Value) error {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	m, ok := reflect.TypeAssert[encoding.TextMarshaler](v)
	if !ok {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	b, err := m.MarshalText()
	if err != nil {
		return errors.Wrapf(err, "json: error calling MarshalText for type %s", v.Type())
	}
	e.buf = appendQString(e.buf, validUTF8(string(b)))
	return nil
}

// appendQuote appends the '"' around a ",string" literal (digits,
// a sign, true or false: QEMU's escapes leave them as they are).
func appendQuote(b []byte, quoted bool) []byte {
	if quoted {
		return append(b, '"')
	}
	return b
}

// goFloatString is encoding/json's text of a float (ES6 number to
// string), for the ",string" option; a NaN or an infinity, which
// encoding/json refuses, is the text QEMU writes for it.
func goFloatString(f float64, bits int) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return formatDouble(f)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	s := strconv.FormatFloat(f, format, -1, bits)
	if format == 'e' { // e-09 to e-9
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
	}
	return s
}

// validUTF8 replaces each byte of s that is not valid UTF-8 with U+FFFD,
// as encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isValidNumber reports whether s is a JSON number (for json.Number).
func isValidNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	digits := func(s string) string { return strings.TrimLeft(s, "0123456789") }
	switch {
	case s == "":
		return false
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = digits(s[1:])
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && isDigit(s[1]) {
		s = digits(s[2:])
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		s = digits(s)
	}
	return s == ""
}
