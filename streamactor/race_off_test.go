//go:build !race

package streamactor_test

const raceEnabled = false
