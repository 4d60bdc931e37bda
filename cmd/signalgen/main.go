// Command signalgen turns a schema in the QAPI events proposal's notation
// (see package signalbus/schema) into typed Go for package signalbus:
//
//   - event structs and types, with json tags (optional members are
//     pointers, omitted when nil);
//   - enums as int types with String, Parse<Enum>, MarshalJSON and
//     UnmarshalJSON (schema values on the wire);
//   - Signals: one signalbus.Signal per event, registered with its
//     accessor, accessor arguments and throttle, and for each the
//     proposal's <event>_signal, _connect and _disconnect as methods
//     (BlockDeviceEventSignal(device, ev), BlockDeviceEventConnect(ctx,
//     device, slot), BlockDeviceEventDisconnect(ctx, h));
//   - Client: the proposal's libqmp, a typed QMP client
//     (BlockDeviceEventConnect(ctx, device, func(BlockDeviceEvent))
//     (Handle, error), BlockDeviceEventDisconnect, and a method per
//     command).
//
// A required list member is always sent: a struct with one has a
// MarshalJSON that encodes a nil list as [] (the server refuses a
// required member that is missing or null). An optional accessor argument
// ('*lane') is a pointer parameter of the connect and disconnect methods,
// nil leaving it out, so that the connection does not filter on it; the
// signal method takes its value.
//
// # Go names
//
// A schema name becomes a Go name by dropping '-', '_', '.' and ' ' and
// upper-casing the letter after each (block-device-event →
// BlockDeviceEvent), with an X in front when the result would not start
// with an upper-case letter (1x → X1x, 中文 → X中文), so everything
// generated is exported. A name may only have letters, digits and those
// separators. An enum's constants are its Go name followed by each
// value's (BlockDeviceActionReport); a command's arguments are the struct
// <Command>Args; an event's client methods are <Event>Connect and
// <Event>Disconnect.
//
// When two declarations would get one Go name — two schema names (types
// or events a-b and a_b, two members of one object, two values of one
// enum, an enum constant and a type, two commands), or a schema name and
// a name signalgen declares (SchemaSource, Schema, Signals, NewSignals,
// Client, NewClient, Parse<Enum>, <Command>Args) — the schema is refused,
// with an error at the later one naming both: renaming is the user's
// call, since the names are API (and members' names are on the wire).
// Three exceptions are renamed instead, by fixed rules:
//
//   - a member named like a method of its struct (SignalMember on events,
//     MarshalJSON) is the field X<Name> (signal-member → XSignalMember);
//   - a command whose method would be a name Client already has — the
//     embedded *qmp.Client's Client, Greeting, Execute, Connect,
//     Disconnect, OnEvent, Close, or an event's <Event>Connect or
//     <Event>Disconnect — is the method <Name>Command (close →
//     CloseCommand, execute → ExecuteCommand), so that Client keeps the
//     whole qmp.Client API;
//   - an accessor argument whose parameter name would be a Go keyword, a
//     predeclared or imported name, a name the generated bodies use, or
//     an earlier argument's parameter gets Arg appended until it is free
//     (ctx → ctxArg; a-b and a_b → aB, aBArg): parameter names are not API.
//
// Also refused: a type or enum named like a builtin type (str, int, bool,
// number, any, none: references to it mean the builtin); a type that
// contains itself through required, non-list members (neither Go nor
// finite JSON has such a value; make one on the cycle optional or a
// list); two events with one signal accessor (the bus refuses the
// second) or one QMP event name (AB_EVENT: clients could not tell them
// apart). The schema itself refuses a member declared twice ('x' and
// '*x'), and an accessor argument named tag or like a member of its
// event, which the generated client and signalbus/qmp could not serve:
// every schema signalgen generates code for, a qmp.Server serves.
//
// # Command options
//
// A function's third element holds QAPI's command flags (see
// schema.CommandOptions); each changes the command's Client method:
//
//   - arguments written as a type name ([ 'cmd', 'T' ], required by
//     'boxed': true) are passed as that type (args T), with no
//     <Command>Args struct;
//   - 'success-response': false: the server replies only with errors, so
//     the method returns only an error: the server's error reply, or nil
//     once ctx ends without one (give ctx a deadline; an ended ctx before
//     the call is an error, nothing is sent);
//   - 'gen': false: no marshalling is generated: the method takes args
//     any, sent as it is, and returns the return as json.RawMessage, for
//     hand-written code to wrap;
//   - 'allow-oob', 'allow-preconfig', 'coroutine' and features are written
//     in the method's doc comment, the feature deprecated as a
//     Deprecated: paragraph (the client sends every command in band).
//
// A signal accessor takes no options (the schema refuses them).
//
// Use it from go:generate:
//
//	//go:generate go run github.com/actorio/actorio/cmd/signalgen -schema seed.qapi -pkg seedapi -o seed_gen.go
//
// Schema errors are reported as file:line:col: message (file is the
// schema's base name), and the exit status is 1. A usage error (a missing
// -schema or -pkg, a -pkg that is not a Go package name, an unknown flag,
// an extra argument) exits 2; -h prints the flags and exits 0.
//
// The -o file is replaced whole (a finished temporary file is renamed
// over it), so a failed or interrupted run leaves the old code, never a
// half-written file; it keeps its mode, and a symlink keeps pointing to
// it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/actorio/actorio/signalbus/schema"
)

func main() { os.Exit(runMain(os.Args[1:], os.Stderr)) }

// runMain runs signalgen with args and returns its exit status: 0 when it
// generated the code or -h asked for the usage, 2 for a usage error (the
// usage is printed), 1 for any other error (a schema error, an unreadable
// or unwritable file).
func runMain(args []string, stderr io.Writer) int {
	err := runTo(args, stderr)
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "signalgen:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "signalgen:", err)
		return 1
	}
}

// usageError is a command line signalgen cannot run with.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run is runTo with the flag package's messages on standard error.
func run(args []string) error { return runTo(args, os.Stderr) }

// runTo generates the code args ask for; the flag package writes its
// messages (the usage for -h or a bad flag) to stderr.
func runTo(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("signalgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("schema", "", "schema file (the proposal's notation)")
	pkg := fs.String("pkg", "", "package name of the generated file")
	out := fs.String("o", "", "output file (default: standard output)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if *in == "" || *pkg == "" || fs.NArg() > 0 {
		return usageError{"usage: signalgen -schema FILE -pkg NAME [-o FILE]"}
	}
	if !validPkg(*pkg) {
		return usageError{fmt.Sprintf("-pkg %q is not a Go package name (an identifier, not a keyword or _)", *pkg)}
	}
	src, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	s, err := schema.Parse(filepath.Base(*in), string(src))
	if err != nil {
		return err
	}
	code, err := Generate(s, string(src), filepath.Base(*in), *pkg)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = os.Stdout.Write(code)
		return err
	}
	return writeOutput(*out, code)
}
