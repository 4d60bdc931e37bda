package sockactor

import "golang.org/x/sys/unix"

// readv2 reads from fd into a, then b, without waiting (one readv).
func readv2(fd uintptr, a, b []byte) (int, error) {
	return unix.Readv(int(fd), [][]byte{a, b})
}

// haveReadv2 says readv2 reads into both buffers.
const haveReadv2 = true
