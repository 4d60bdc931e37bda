package node

import (
	"net"
	"strconv"

	"github.com/pkg/errors"
)

// checkListen listens on the node's address once and lets it go, so that
// Start reports an address it cannot have (taken: EADDRINUSE; not this
// host's: EADDRNOTAVAIL) as an error value and leaves the System as it
// was. protoactor panics when it cannot listen, with the error formatted
// by %v: Start recovers that panic for the rare address taken between
// this check and protoactor's listen, but its error then says why in
// words only. Port 0 (any free port) needs no check.
func checkListen(addr, host string, port int) error {
	if port == 0 {
		return nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return errors.Wrapf(err, "node: start on %s", addr)
	}
	return l.Close()
}
