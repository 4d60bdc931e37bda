package qmp

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/pkg/errors"
)

// OverflowEvent is the wire name of the marker written before an event
// when the session's connection dropped events (its bounded queue
// overflowed because the client did not read).
const OverflowEvent = "SIGNAL_OVERFLOW"

// EventLine formats a delivered event as QEMU does:
//
//	{"timestamp": {"seconds": S, "microseconds": U}, "event": "BLOCK_IO_EVENT", "data": {...}}
//
// data holds the accessor arguments the event was emitted for, then the
// event's members; it is omitted when both are empty. Events delivered
// through an explicit connection end with "tag": HANDLE.
func EventLine(ev signalbus.AnyEvent) ([]byte, error) {
	h := ev.Head()
	data, err := eventData(h, ev.Data())
	if err != nil {
		return nil, err
	}
	return eventLine(h.Time, h.Signal.Wire, data, ev.EventTag()), nil
}

// OverflowLine formats the marker for dropped events of the connection
// the event ev arrived on.
func OverflowLine(ev signalbus.AnyEvent) []byte {
	h := ev.Head()
	data := map[string]any{"event": h.Signal.Wire, "dropped": ev.EventDropped()}
	return eventLine(h.Time, OverflowEvent, mustJSON(data), ev.EventTag())
}

func eventLine(t time.Time, wire string, data []byte, tag signalbus.Handle) []byte {
	buf := make([]byte, 0, 96+len(data)+len(wire))
	buf = append(buf, `{"timestamp": {"seconds": `...)
	sec, usec := timestamp(t)
	buf = strconv.AppendInt(buf, sec, 10)
	buf = append(buf, `, "microseconds": `...)
	buf = strconv.AppendInt(buf, usec, 10)
	buf = append(buf, `}, "event": `...)
	buf = append(buf, qstr(wire)...)
	if data != nil {
		buf = append(buf, `, "data": `...)
		buf = append(buf, data...)
	}
	if tag != "" {
		buf = append(buf, `, "tag": `...)
		buf = append(buf, qstr(string(tag))...)
	}
	buf = append(buf, '}')
	return line(buf)
}

// timestamp splits t as QEMU does; the zero time gives -1, -1.
func timestamp(t time.Time) (sec, usec int64) {
	if t.IsZero() {
		return -1, -1
	}
	us := t.UnixMicro()
	return us / 1e6, us % 1e6
}

// eventData merges the accessor arguments into the event's members.
func eventData(h *signalbus.Header, v any) ([]byte, error) {
	body, err := asciiJSON(v)
	if err != nil {
		return nil, errors.Wrapf(err, "encoding event %s", h.Signal.Name)
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, &Error{Class: GenericError, Desc: "event " + h.Signal.Name + " does not encode as a JSON object"}
	}
	empty := len(body) == 2
	var buf []byte
	for i, a := range h.Signal.Args {
		if i >= len(h.Args) {
			break
		}
		key := qstr(a.Name)
		if !empty && hasMember(body, a.Name) {
			continue // a member of that name (NewServer refuses one it can see): it wins
		}
		if buf == nil {
			buf = make([]byte, 0, len(body)+64)
			buf = append(buf, '{')
		} else {
			buf = append(buf, ", "...)
		}
		buf = append(buf, key...)
		buf = append(buf, ": "...)
		arg, err := qemuJSON(argJSON(a.Type, h.Args[i]))
		if err != nil {
			return nil, err
		}
		buf = append(buf, arg...)
	}
	switch {
	case buf == nil && empty:
		return nil, nil
	case buf == nil:
		return body, nil
	case empty:
		return append(buf, '}'), nil
	}
	buf = append(buf, ", "...)
	return append(buf, body[1:]...), nil
}

// hasMember reports whether the top-level JSON object body has member
// name (a quick scan first; a full decode only when it may).
func hasMember(body []byte, name string) bool {
	if !bytes.Contains(body, []byte(`"`+name+`"`)) {
		return false
	}
	members, err := objectMembers(body)
	if err != nil {
		return false
	}
	for _, m := range members {
		if m.Key == name {
			return true
		}
	}
	return false
}

func argJSON(typ, v string) json.RawMessage {
	switch typ {
	case "int":
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return json.RawMessage(v)
		}
	case "bool":
		if v == "true" || v == "false" {
			return json.RawMessage(v)
		}
	}
	b, _ := json.Marshal(v)
	return b
}
