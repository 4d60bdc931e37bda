package qmp

import (
	"bufio"
	"bytes"
	"encoding/json"

	"github.com/pkg/errors"
)

// ErrLineTooLong is the cause of a Client's failure when the server sent
// a line over the client's limit (WithMaxLine).
var ErrLineTooLong = errors.New("qmp: line too long")

// ErrProtocol is the cause of a Client's failure when the server sent
// what QMP does not allow: a line that is not a JSON object, or an error
// that answers no command (no id: the server could not parse a command,
// so which call it meant is unknown).
var ErrProtocol = errors.New("qmp: protocol error")

// readLine reads one line of at most max bytes (the newline not
// counted): a longer one is an error wrapping ErrLineTooLong, once max
// bytes of it were read (no more is buffered).
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		frag, err := r.ReadSlice('\n')
		n := len(line) + len(frag)
		if err == nil {
			n-- // the newline
		}
		if n > max {
			return nil, errors.Wrapf(ErrLineTooLong, "a line from the server exceeds the limit of %d bytes", max)
		}
		line = append(line, frag...)
		if err != bufio.ErrBufferFull {
			return line, err
		}
	}
}

// checkGreeting checks that g is a QMP greeting: an object with a "QMP"
// member. A server that refuses the session may send an error instead
// (too many sessions): that error, as an *Error, is returned.
func checkGreeting(g []byte) error {
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(g, &msg); err != nil {
		return errors.Wrapf(ErrProtocol, "the greeting %s is not a JSON object: %v", quoteLine(g), err)
	}
	if _, ok := msg["QMP"]; ok {
		return nil
	}
	var e struct {
		Error *Error `json:"error"`
	}
	if json.Unmarshal(g, &e) == nil && e.Error != nil && e.Error.Class != "" {
		return errors.Wrap(e.Error, "the server refused the session")
	}
	return errors.Wrapf(ErrProtocol, "the greeting %s has no member 'QMP'", quoteLine(g))
}

// quoteLine quotes a line from the server for an error message, cut to
// a readable length.
func quoteLine(b []byte) string {
	b = bytes.TrimRight(b, "\r\n")
	const most = 200
	if len(b) > most {
		return string(appendQString(nil, string(b[:most]))) + "..."
	}
	return string(appendQString(nil, string(b)))
}

// serverMessage is a line from the server.
type serverMessage struct {
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	Tag       string          `json:"tag"`
	Timestamp struct {
		Seconds      int64 `json:"seconds"`
		Microseconds int64 `json:"microseconds"`
	} `json:"timestamp"`
	Return json.RawMessage `json:"return"`
	Error  *Error          `json:"error"`
	ID     json.RawMessage `json:"id"`
}
