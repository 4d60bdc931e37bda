//go:build amd64 || arm64

package sim

// getg returns the address of the running goroutine's descriptor. It
// identifies the goroutine for as long as it lives, in about a nanosecond,
// which lets every scheduling call check that it comes from the simulation
// loop's own goroutine.
func getg() uintptr
