//go:build !amd64 && !arm64

package sim

import (
	"runtime"
	"strconv"
	"strings"
)

// getg returns the running goroutine's id, parsed from its stack header.
// It is slower than the assembly used on amd64 and arm64, but identifies
// the goroutine just as well.
func getg() uintptr {
	var buf [64]byte
	s := string(buf[:runtime.Stack(buf[:], false)])
	s = strings.TrimPrefix(s, "goroutine ")
	if i := strings.IndexByte(s, ' '); i > 0 {
		if id, err := strconv.ParseUint(s[:i], 10, 64); err == nil {
			return uintptr(id)
		}
	}
	return 0
}
