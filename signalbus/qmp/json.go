package qmp

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// member is one member of a JSON object, in input order.
type member struct {
	Key   string
	Value json.RawMessage
}

// errNotObject means the input parsed but is not a JSON object.
var errNotObject = errors.New("not an object")

// decodeObject parses one JSON value (QEMU's dialect: single-quoted
// strings allowed) and returns its members in order. A parse error is
// returned as is; a value that is not an object gives errNotObject.
func decodeObject(line []byte) ([]member, error) {
	norm, err := normalize(line)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(norm))
	dec.UseNumber()
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errNotObject
	}
	return objectMembers(raw)
}

// objectMembers returns the members of a JSON object, in order.
func objectMembers(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{Key: key, Value: v})
	}
	return out, nil
}

// normalize rewrites QEMU's single-quoted strings as JSON strings; the
// rest is left to encoding/json.
func normalize(in []byte) ([]byte, error) {
	if bytes.IndexByte(in, '\'') < 0 {
		return in, nil
	}
	out := make([]byte, 0, len(in)+8)
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch c {
		case '"':
			j := i + 1
			for ; j < len(in) && in[j] != '"'; j++ {
				if in[j] == '\\' {
					j++
				}
			}
			if j >= len(in) {
				return nil, errors.New("unterminated string")
			}
			out = append(out, in[i:j+1]...)
			i = j
		case '\'':
			out = append(out, '"')
			j := i + 1
			for ; j < len(in) && in[j] != '\''; j++ {
				switch {
				case in[j] == '\\' && j+1 < len(in) && in[j+1] == '\'':
					out = append(out, '\'')
					j++
				case in[j] == '\\' && j+1 < len(in):
					out = append(out, in[j], in[j+1])
					j++
				case in[j] == '"':
					out = append(out, '\\', '"')
				default:
					out = append(out, in[j])
				}
			}
			if j >= len(in) {
				return nil, errors.New("unterminated string")
			}
			out = append(out, '"')
			i = j
		default:
			out = append(out, c)
		}
	}
	return out, nil
}

// asciiJSON marshals v the way QEMU writes JSON: one line, a space after
// every ':' and ',' between tokens, and every non-ASCII rune escaped as
// \uXXXX.
func asciiJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return escapeASCII(spaced(b)), nil
}

// spaced inserts QEMU's spaces into compact JSON.
func spaced(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/8)
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		out = append(out, c)
		switch {
		case in && c == '\\' && i+1 < len(b):
			i++
			out = append(out, b[i])
		case c == '"':
			in = !in
		case !in && (c == ':' || c == ','):
			out = append(out, ' ')
		}
	}
	return out
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func escapeASCII(b []byte) []byte {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r < 0x80 {
			out = append(out, byte(r))
		} else if r > 0xFFFF {
			r -= 0x10000
			out = appendU(out, 0xD800+(r>>10))
			out = appendU(out, 0xDC00+(r&0x3FF))
		} else {
			out = appendU(out, r)
		}
		b = b[n:]
	}
	return out
}

func appendU(out []byte, r rune) []byte {
	s := strconv.FormatInt(int64(r), 16)
	out = append(out, '\\', 'u')
	for i := len(s); i < 4; i++ {
		out = append(out, '0')
	}
	return append(out, s...)
}
