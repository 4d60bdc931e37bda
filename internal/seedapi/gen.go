// Package seedapi is the QAPI events proposal's example schema
// (seed.qapi: BlockIOEvent, and BlockDeviceEvent with its enums and the
// device accessor argument) turned into Go by cmd/signalgen. The server
// example, the QMP tests and the property suites use it; the generator's
// golden test checks that seed_gen.go is exactly what signalgen makes.
package seedapi

//go:generate go run ../../cmd/signalgen -schema seed.qapi -pkg seedapi -o seed_gen.go
