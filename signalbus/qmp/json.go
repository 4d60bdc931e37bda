package qmp

import (
	"bytes"
	"encoding/json"

	"github.com/pkg/errors"
)

// member is one member of a JSON object, in input order.
type member struct {
	Key   string
	Value json.RawMessage
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

// asciiJSON marshals v the way QEMU writes JSON (see goJSON): one
// ASCII line, ", " and ": " between tokens, QEMU's escapes, members in
// the order encoding/json writes them, numbers as QEMU writes its
// integers and doubles.
func asciiJSON(v any) ([]byte, error) {
	b, err := goJSON(v)
	if err != nil {
		return nil, errors.Wrapf(err, "encoding %T", v)
	}
	return b, nil
}

func mustJSON(v any) []byte {
	b, err := asciiJSON(v)
	if err != nil {
		return appendQString(nil, err.Error())
	}
	return b
}

// qstr returns s as a JSON string the way QEMU writes it.
func qstr(s string) []byte { return appendQString(nil, s) }

// line terminates b with CRLF.
func line(b []byte) []byte { return append(b, '\r', '\n') }
