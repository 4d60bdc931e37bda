package wire

// The messages of remote signals (signal.proto) are generated separately
// from wire.proto.
//
//go:generate protoc --go_out=. --go_opt=paths=source_relative signal.proto
