package main

import (
	"strings"
	"testing"
)

// TestParseSplitLines: figures separated from their benchmark's name by
// log lines still count for that benchmark; log lines that look like
// nothing count for nothing.
func TestParseSplitLines(t *testing.T) {
	out := "goos: linux\n" +
		"BenchmarkA \ttime=x level=WARN msg=\"something\"\n" +
		"time=y level=WARN msg=\"more\"\n" +
		"   71256\t     16656 ns/op\t 0.8273 x-base\t 0 B/op\n" +
		"BenchmarkB-4   \t 10\t 200 ns/op\t 3 allocs/op\n" +
		"BenchmarkC \t--- FAIL: BenchmarkC\n" +
		"12 apples 3 ns/op\n" +
		"PASS\n"
	got := metrics{}
	parse(strings.NewReader(out), got)
	if v := got["A"]["x-base"]; len(v) != 1 || v[0] != 0.8273 {
		t.Errorf("A x-base = %v", v)
	}
	if v := got["A"]["ns/op"]; len(v) != 1 || v[0] != 16656 {
		t.Errorf("A ns/op = %v", v)
	}
	if v := got["B"]["allocs/op"]; len(v) != 1 || v[0] != 3 {
		t.Errorf("B allocs/op = %v", v)
	}
	if len(got["C"]) != 0 || len(got) != 2 {
		t.Errorf("parsed %v", got)
	}
}
