package qmp

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// appendQString appends s as a JSON string the way QEMU's writer does.
func appendQString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 && c >= 0x20 && c != 0x7F {
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		cp, n := modUTF8Codepoint(s[i:])
		i += n
		switch cp {
		case '\b':
			b = append(b, '\\', 'b')
			continue
		case '\f':
			b = append(b, '\\', 'f')
			continue
		case '\n':
			b = append(b, '\\', 'n')
			continue
		case '\r':
			b = append(b, '\\', 'r')
			continue
		case '\t':
			b = append(b, '\\', 't')
			continue
		}
		if cp < 0 {
			cp = 0xFFFD
		}
		if cp > 0xFFFF {
			b = appendU(b, 0xD800+(cp-0x10000)>>10)
			b = appendU(b, 0xDC00+(cp-0x10000)&0x3FF)
		} else {
			b = appendU(b, cp)
		}
	}
	return append(b, '"')
}

func appendU(b []byte, cp int) []byte {
	const hex = "0123456789ABCDEF"
	return append(b, '\\', 'u', hex[cp>>12&0xF], hex[cp>>8&0xF], hex[cp>>4&0xF], hex[cp&0xF])
}

// formatDouble is C's printf("%.17g", f) (glibc), as QEMU writes doubles.
func formatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', 16, 64) // [-]d.dddddddddddddddde±dd
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	e := strings.IndexByte(s, 'e')
	digits := s[:1] + s[2:e]
	x, _ := strconv.Atoi(s[e+1:])
	if x < -4 || x >= 17 {
		out := digits[:1]
		if frac := strings.TrimRight(digits[1:], "0"); frac != "" {
			out += "." + frac
		}
		es := "+"
		if x < 0 {
			es, x = "-", -x
		}
		if x < 10 {
			es += "0"
		}
		return sign + out + "e" + es + strconv.Itoa(x)
	}
	var intp, frac string
	if x >= 0 {
		intp, frac = digits[:x+1], digits[x+1:]
	} else {
		intp, frac = "0", strings.Repeat("0", -x-1)+digits
	}
	if frac = strings.TrimRight(frac, "0"); frac != "" {
		return sign + intp + "." + frac
	}
	return sign + intp
}

// appendQObj writes v as QEMU does (objects in QDict order).
func appendQObj(b []byte, v *qobj) []byte {
	switch v.kind {
	case qNull:
		return append(b, "null"...)
	case qBool:
		return strconv.AppendBool(b, v.b)
	case qInt:
		return strconv.AppendInt(b, v.i, 10)
	case qUint:
		return strconv.AppendUint(b, v.u, 10)
	case qDouble:
		return append(b, formatDouble(v.f)...)
	case qString:
		return appendQString(b, v.s)
	case qList:
		b = append(b, '[')
		for i, e := range v.list {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendQObj(b, e)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for n, i := range v.dict.order() {
		if n > 0 {
			b = append(b, ", "...)
		}
		b = appendQString(b, v.dict.keys[i])
		b = append(b, ": "...)
		b = appendQObj(b, v.dict.vals[i])
	}
	return append(b, '}')
}

// goString turns a modified UTF-8 string into a Go string (C0 80 back
// to U+0000).
func goString(s string) string {
	if !strings.Contains(s, "\xC0\x80") {
		return s
	}
	return strings.ReplaceAll(s, "\xC0\x80", "\x00")
}

// appendStdJSON writes v as standard JSON for encoding/json: members in
// their input order, strings in UTF-8, and a double always with a
// fraction or exponent (so that it stays a double, as in QEMU).
func appendStdJSON(b []byte, v *qobj) []byte {
	switch v.kind {
	case qDouble:
		switch {
		case math.IsInf(v.f, 1):
			return append(b, "1e999"...)
		case math.IsInf(v.f, -1):
			return append(b, "-1e999"...)
		}
		s := strconv.FormatFloat(v.f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return append(b, s...)
	case qString:
		enc, _ := json.Marshal(goString(v.s))
		return append(b, enc...)
	case qList:
		b = append(b, '[')
		for i, e := range v.list {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStdJSON(b, e)
		}
		return append(b, ']')
	case qDict:
		b = append(b, '{')
		for i, k := range v.dict.keys {
			if i > 0 {
				b = append(b, ',')
			}
			enc, _ := json.Marshal(goString(k))
			b = append(b, enc...)
			b = append(b, ':')
			b = appendStdJSON(b, v.dict.vals[i])
		}
		return append(b, '}')
	}
	return appendQObj(b, v)
}

// qemuJSON re-encodes JSON written by encoding/json (valid, compact
// but for blanks between values) the way QEMU writes it: members in
// their order, ", " and ": " between tokens, QEMU's string escapes, and
// numbers as QEMU renders a double when they are not integers that fit
// 64 bits (encoding/json writes a float64 with an integral value below
// 1e21 as an integer: it stays one).
func qemuJSON(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)+len(in)/8)
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(in) && in[j] != '"' && in[j] != '\\' && in[j] >= 0x20 && in[j] < 0x7F {
				j++
			}
			if j < len(in) && in[j] == '"' { // printable ASCII only: as is
				out = append(out, in[i:j+1]...)
				i = j + 1
				continue
			}
			for j < len(in) && in[j] != '"' {
				if in[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(in) {
				return nil, errors.New("re-encoding JSON: unterminated string")
			}
			var str string
			if err := json.Unmarshal(in[i:j+1], &str); err != nil {
				return nil, errors.Wrap(err, "re-encoding JSON")
			}
			out = appendQString(out, str)
			i = j + 1
		case c == ':' || c == ',':
			out = append(out, c, ' ')
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '-' || isDigit(c):
			j := i + 1
			for j < len(in) && (isDigit(in[j]) || in[j] == '.' || in[j] == 'e' || in[j] == 'E' || in[j] == '+' || in[j] == '-') {
				j++
			}
			out = appendGoNumber(out, in[i:j])
			i = j
		default: // { } [ ] and the letters of true, false, null
			out = append(out, c)
			i++
		}
	}
	return out, nil
}

// appendGoNumber writes a number encoding/json wrote: an integer that
// fits 64 bits as QEMU writes the QNum int it parses from it (as is,
// but for -0, which is the int 0: "0"), anything else as QEMU writes a
// double (-0.0 stays "-0").
func appendGoNumber(out, num []byte) []byte {
	if string(num) == "-0" {
		return append(out, '0')
	}
	if !bytes.ContainsAny(num, ".eE") && len(num) < 20 {
		return append(out, num...) // fits int64
	}
	s := string(num)
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return append(out, num...)
		}
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return append(out, num...)
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return append(out, formatDouble(f)...)
}
