package qmp

import (
	"encoding/json"
	"fmt"

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
	ID      json.RawMessage // the id as the response echoes it (QEMU's rendering); nil when the request had none
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

// Input takes one message: a JSON value as a Frame splits the input
// (the bytes of one value, or of what QEMU's parser gave up on), parsed
// as QEMU does. It returns either a reply line (an error) or a Call to
// run, never both.
func (m *Machine) Input(in []byte) (reply []byte, call *Call) {
	if len(in) > m.maxLine && m.maxLine > 0 {
		return m.TooLong(len(in)), nil
	}
	msg := parseMessage(in)
	if msg.val == nil {
		return errorLine(nil, Errorf("%s", msg.err)), nil
	}
	if msg.val.kind != qDict {
		return errorLine(nil, Errorf("QMP input must be a JSON object")), nil
	}
	req := msg.val.dict
	var id json.RawMessage
	if v := req.get("id"); v != nil {
		id = appendQObj(nil, v)
	}
	c, qerr := m.check(req)
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

// check validates a request object in QEMU's order
// (qapi/qmp-dispatch.c: qmp_dispatch_check_obj, qmp_dispatch): its
// members as QEMU's QDict iterates them.
func (m *Machine) check(req *qdict) (*Call, *Error) {
	var exec *qobj
	args := json.RawMessage("{}")
	for _, i := range req.order() {
		key, v := req.keys[i], req.vals[i]
		switch key {
		case "execute":
			if v.kind != qString {
				return nil, Errorf("QMP input member '%s' must be a string", key)
			}
			exec = v
		case "arguments":
			if v.kind != qDict {
				return nil, Errorf("QMP input member 'arguments' must be an object")
			}
			args = appendStdJSON(nil, v)
		case "id":
		default:
			// exec-oob too: out-of-band execution is never offered, and
			// QEMU reports it so when it was not enabled.
			return nil, Errorf("QMP input member '%s' is unexpected", key)
		}
	}
	if exec == nil {
		return nil, Errorf("QMP input lacks member 'execute'")
	}
	name := goString(exec.s)
	cmd := m.commands.Lookup(name)
	if m.mode == Negotiating && (cmd == nil || !cmd.Negotiation) {
		return nil, &Error{Class: CommandNotFound, Desc: "Expecting capabilities negotiation with 'qmp_capabilities'"}
	}
	if cmd == nil {
		return nil, &Error{Class: CommandNotFound, Desc: fmt.Sprintf("The command %s has not been found", exec.s)}
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
	return &Call{Name: name, Args: args, Command: cmd}, nil
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
		buf = append(buf, id...)
		buf = append(buf, ", "...)
	}
	buf = append(buf, `"error": {"class": `...)
	buf = appendQString(buf, e.Class)
	buf = append(buf, `, "desc": `...)
	buf = appendQString(buf, e.Desc)
	buf = append(buf, "}}"...)
	return line(buf)
}

func appendID(buf []byte, id json.RawMessage) []byte {
	if id == nil {
		return buf
	}
	buf = append(buf, `, "id": `...)
	return append(buf, id...)
}
