//go:build race

package streamactor_test

// Under the race detector sync.Pool drops a quarter of what is put back
// (on purpose), so pooled buffers are sometimes allocated again.
const raceEnabled = true
