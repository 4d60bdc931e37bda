package qmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Error is a QMP error: {"error": {"class": Class, "desc": Desc}}.
type Error struct {
	Class string
	Desc  string
}

// Error implements error: it says what failed.
func (e *Error) Error() string { return e.Class + ": " + e.Desc }

// The error classes QEMU uses (QapiErrorClass).
const (
	GenericError    = "GenericError"
	CommandNotFound = "CommandNotFound"
	DeviceNotFound  = "DeviceNotFound"
)

// Errorf returns a GenericError.
func Errorf(format string, args ...any) *Error {
	return &Error{Class: GenericError, Desc: fmt.Sprintf(format, args...)}
}

// Mode is a session's protocol mode.
type Mode uint8

// Modes.
const (
	Negotiating Mode = iota // after the greeting: only qmp_capabilities (and disconnect-default-signals)
	Commands                // after qmp_capabilities
)

// Call is one command to run, decoded and checked by the Machine.
type Call struct {
	ID      json.RawMessage // verbatim; nil when the request had none
	Name    string
	Args    json.RawMessage // the arguments object ({} when absent)
	Command *Command
}

// Decode unmarshals the call's arguments into v.
func (c *Call) Decode(v any) error {
	if err := json.Unmarshal(c.Args, v); err != nil {
		return Errorf("Invalid arguments for '%s': %v", c.Name, err)
	}
	return nil
}

// Machine is the pure protocol state of one QMP session: it decodes and
// validates input lines, tracks the negotiation mode and formats every
// output line (CRLF-terminated, ASCII JSON). It runs no command: Input
// returns the Call for the shell to run, and Result formats its outcome.
type Machine struct {
	mode     Mode
	commands *Registry
	maxLine  int
}

// NewMachine returns a session in negotiation mode.
func NewMachine(r *Registry, maxLine int) *Machine {
	return &Machine{commands: r, maxLine: maxLine}
}

// Mode returns the session's mode.
func (m *Machine) Mode() Mode { return m.mode }

// Greeting returns the greeting line.
func (m *Machine) Greeting(v Version) []byte {
	type qemuV struct {
		Micro int `json:"micro"`
		Minor int `json:"minor"`
		Major int `json:"major"`
	}
	g := struct {
		QMP struct {
			Version struct {
				Qemu    qemuV  `json:"qemu"`
				Package string `json:"package"`
			} `json:"version"`
			Capabilities []string `json:"capabilities"`
		} `json:"QMP"`
	}{}
	g.QMP.Version.Qemu = qemuV{v.Micro, v.Minor, v.Major}
	g.QMP.Version.Package = v.Package
	g.QMP.Capabilities = []string{}
	return line(mustJSON(g))
}

// Input takes one line (without its terminator). It returns either a
// reply line (an error) or a Call to run, never both.
func (m *Machine) Input(in []byte) (reply []byte, call *Call) {
	if len(in) > m.maxLine && m.maxLine > 0 {
		return m.TooLong(len(in)), nil
	}
	if tok, ok := strayToken(in); ok {
		return errorLine(nil, Errorf("JSON parse error, stray '%s'", strings.ToValidUTF8(string(tok), "\uFFFD"))), nil
	}
	members, err := decodeObject(in)
	if errors.Is(err, errNotObject) {
		return errorLine(nil, Errorf("QMP input must be a JSON object")), nil
	}
	if err != nil {
		return errorLine(nil, Errorf("JSON parse error, %s", parseMessage(in, err))), nil
	}
	var id json.RawMessage
	for _, mb := range members {
		if mb.Key == "id" {
			id = mb.Value
		}
	}
	c, qerr := m.check(members)
	if qerr != nil {
		return errorLine(id, qerr), nil
	}
	c.ID = id
	return nil, c
}

// TooLong returns the error for an input value over the limit (n is how
// much of it was read when it was cut; the rest is discarded).
func (m *Machine) TooLong(n int) []byte {
	return errorLine(nil, Errorf("JSON input exceeds the limit of %d bytes (cut at %d)", m.maxLine, n))
}

// parseMessage words a parse error as QEMU does for the common cases.
func parseMessage(in []byte, err error) string {
	t := bytes.TrimSpace(in)
	if len(t) > 0 && (t[0] >= 'a' && t[0] <= 'z' || t[0] >= 'A' && t[0] <= 'Z') {
		end := 0
		for end < len(t) && (t[end] >= 'a' && t[end] <= 'z' || t[end] >= 'A' && t[end] <= 'Z' || t[end] >= '0' && t[end] <= '9' || t[end] == '_') {
			end++
		}
		return fmt.Sprintf("invalid keyword '%s'", t[:end])
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || len(t) == 0 {
		return "expecting value"
	}
	return err.Error()
}

// check validates a request object in QEMU's order
// (qapi/qmp-dispatch.c: qmp_dispatch_check_obj, qmp_dispatch).
func (m *Machine) check(members []member) (*Call, *Error) {
	var exec string
	var hasExec bool
	args := json.RawMessage("{}")
	for _, mb := range members {
		switch mb.Key {
		case "execute":
			if err := json.Unmarshal(mb.Value, &exec); err != nil || len(mb.Value) == 0 || mb.Value[0] != '"' {
				return nil, Errorf("QMP input member '%s' must be a string", mb.Key)
			}
			hasExec = true
		case "arguments":
			if len(mb.Value) == 0 || mb.Value[0] != '{' {
				return nil, Errorf("QMP input member 'arguments' must be an object")
			}
			args = mb.Value
		case "id":
		default:
			// exec-oob too: out-of-band execution is never offered, and
			// QEMU reports it so when it was not enabled.
			return nil, Errorf("QMP input member '%s' is unexpected", mb.Key)
		}
	}
	if !hasExec {
		return nil, Errorf("QMP input lacks member 'execute'")
	}
	cmd := m.commands.Lookup(exec)
	if m.mode == Negotiating && (cmd == nil || !cmd.Negotiation) {
		return nil, &Error{Class: CommandNotFound, Desc: "Expecting capabilities negotiation with 'qmp_capabilities'"}
	}
	if cmd == nil {
		return nil, &Error{Class: CommandNotFound, Desc: fmt.Sprintf("The command %s has not been found", exec)}
	}
	// The arguments are checked before "already complete", which is
	// qmp_capabilities' own error in QEMU (monitor/qmp-cmds-control.c),
	// raised after its generated marshaller decoded them.
	if err := m.commands.checkArgs(cmd, args); err != nil {
		return nil, err
	}
	if m.mode == Commands && cmd.OnlyNegotiation {
		return nil, &Error{Class: CommandNotFound, Desc: "Capabilities negotiation is already complete, command ignored"}
	}
	return &Call{Name: exec, Args: args, Command: cmd}, nil
}

// Result formats the outcome of call: the return value, or the error (an
// *Error keeps its class; any other error is a GenericError). A
// successful negotiation command moves the session to command mode.
func (m *Machine) Result(call *Call, value any, err error) []byte {
	if err != nil {
		var qe *Error
		if !errors.As(err, &qe) {
			qe = Errorf("%s", err.Error())
		}
		return errorLine(call.ID, qe)
	}
	if call.Command.OnlyNegotiation {
		m.mode = Commands
	}
	if value == nil {
		value = struct{}{}
	}
	ret, jerr := asciiJSON(value)
	if jerr != nil {
		return errorLine(call.ID, Errorf("cannot encode the result of %s: %v", call.Name, jerr))
	}
	buf := make([]byte, 0, len(ret)+32)
	buf = append(buf, `{"return": `...)
	buf = append(buf, ret...)
	buf = appendID(buf, call.ID)
	buf = append(buf, '}')
	return line(buf)
}

// errorLine formats an error response in QEMU's member order: the id
// (when known) first, then the error.
func errorLine(id json.RawMessage, e *Error) []byte {
	buf := make([]byte, 0, 96+len(e.Desc))
	buf = append(buf, '{')
	if id != nil {
		buf = append(buf, `"id": `...)
		buf = append(buf, compact(id)...)
		buf = append(buf, ", "...)
	}
	buf = append(buf, `"error": {"class": `...)
	buf = append(buf, mustJSON(e.Class)...)
	buf = append(buf, `, "desc": `...)
	buf = append(buf, mustJSON(e.Desc)...)
	buf = append(buf, "}}"...)
	return line(buf)
}

func appendID(buf []byte, id json.RawMessage) []byte {
	if id == nil {
		return buf
	}
	buf = append(buf, `, "id": `...)
	return append(buf, compact(id)...)
}

// compact re-encodes a JSON value without insignificant spaces, ASCII only.
func compact(raw json.RawMessage) []byte {
	var v any
	d := json.NewDecoder(bytesReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return raw
	}
	return mustJSON(v)
}

func mustJSON(v any) []byte {
	b, err := asciiJSON(v)
	if err != nil {
		return []byte(strconv.Quote(err.Error()))
	}
	return b
}

// line terminates b with CRLF.
func line(b []byte) []byte { return append(b, '\r', '\n') }
