// Package goid reads the calling goroutine's id. Go hides it on purpose;
// actorio uses it only where a blocking call must tell whether it runs on
// the goroutine it would wait for (a callback removing itself, a QMP
// handler closing its own client), which no other means can tell.
package goid

import (
	"bytes"
	"runtime"
	"strconv"
)

// Get returns the calling goroutine's id, read from the header of its
// stack trace ("goroutine 18 [running]:"), or 0 if it cannot.
func Get() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b, ok := bytes.CutPrefix(b, []byte("goroutine "))
	if !ok {
		return 0
	}
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		b = b[:i]
	}
	id, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0
	}
	return id
}
