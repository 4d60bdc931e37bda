package qmp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"time"

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

// read is the reader: it hands replies to their calls and queues events
// for the executor, until the connection ends or the server breaks the
// protocol (a line over the limit, one that is not a JSON object, an
// error answering no command: the client then fails and closes the
// connection, as the reference client qemu.qmp does). A reply with an
// id no call waits for is dropped (qmp-spec: "Clients should drop all
// the responses that have an unknown id field").
func (c *Client) read(r *bufio.Reader) {
	defer c.wg.Done()
	for {
		b, err := readLine(r, c.maxLine)
		if err != nil {
			if errors.Is(err, ErrLineTooLong) {
				c.fail(err)
				return
			}
			c.shut(errors.Wrap(err, "connection lost"))
			return
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue // a blank line carries nothing
		}
		var msg serverMessage
		if err := json.Unmarshal(b, &msg); err != nil {
			c.fail(errors.Wrapf(ErrProtocol, "the server sent %s, which is not a QMP message: %v", quoteLine(b), err))
			return
		}
		if msg.Event != "" {
			c.mu.Lock()
			c.queue = append(c.queue, Event{Event: msg.Event, Data: msg.Data, Tag: msg.Tag,
				Timestamp: time.Unix(msg.Timestamp.Seconds, msg.Timestamp.Microseconds*1000)})
			c.mu.Unlock()
			select {
			case c.wake <- struct{}{}:
			default:
			}
			continue
		}
		if msg.ID == nil && msg.Error != nil {
			c.fail(errors.Wrapf(ErrProtocol, "the server sent an error answering no command (it could not parse one): %s", msg.Error))
			return
		}
		var id string
		_ = json.Unmarshal(msg.ID, &id)
		c.mu.Lock()
		p := c.pending[id]
		delete(c.pending, id)
		if p != nil {
			if msg.Error != nil {
				p.err = msg.Error
			} else {
				p.ret = msg.Return
				if p.onReturn != nil {
					p.onReturn(msg.Return)
				}
			}
			close(p.done)
		}
		c.mu.Unlock()
	}
}

// fail ends the client on the server's fault: the calls waiting fail
// with err, and the connection is closed.
func (c *Client) fail(err error) {
	c.shut(err)
	_ = c.conn.Close()
}
