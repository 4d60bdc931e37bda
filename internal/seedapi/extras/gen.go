// Package extras is cmd/signalgen's output for a schema that uses
// everything the notation allows (optional and list members, nested
// types, int and bool accessor arguments, a throttle, commands); it is
// compiled with the module and checked by the generator's golden test.
package extras

//go:generate go run ../../../cmd/signalgen -schema extras.qapi -pkg extras -o extras_gen.go
