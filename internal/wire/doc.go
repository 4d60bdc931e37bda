// Package wire holds actorio's protobuf wire messages, the only messages
// that cross between nodes (protoactor remote carries protobuf only).
//
//go:generate protoc --go_out=. --go_opt=paths=source_relative wire.proto
package wire
