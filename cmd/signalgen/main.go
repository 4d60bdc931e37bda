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
// Use it from go:generate:
//
//	//go:generate go run github.com/actorio/actorio/cmd/signalgen -schema seed.qapi -pkg seedapi -o seed_gen.go
//
// Schema errors are reported as file:line:col: message, and the exit
// status is 1.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/actorio/actorio/signalbus/schema"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "signalgen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("signalgen", flag.ContinueOnError)
	in := fs.String("schema", "", "schema file (the proposal's notation)")
	pkg := fs.String("pkg", "", "package name of the generated file")
	out := fs.String("o", "", "output file (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" || *pkg == "" {
		return fmt.Errorf("usage: signalgen -schema FILE -pkg NAME [-o FILE]")
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
	return os.WriteFile(*out, code, 0o644)
}
