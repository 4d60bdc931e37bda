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
	if len(got["C"]) != 1 || len(got["C"][failedUnit]) != 1 || len(got) != 3 {
		t.Errorf("parsed %v", got)
	}
}

// TestEvenCountMedian: with an even -count the median is the mean of the
// two middle runs; it was the larger one (the slower run of a time).
func TestEvenCountMedian(t *testing.T) {
	for _, c := range []struct {
		vs   []float64
		want float64
	}{{[]float64{3}, 3}, {[]float64{10, 20}, 15}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{5, 1, 3}, 3}} {
		if got, ok := median(c.vs); !ok || got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.vs, got, c.want)
		}
	}
}

// TestFailedRunsShowInTheRow: a benchmark that fails in one of its -count
// runs gets a FAILED row, counted as failed, instead of figures from the
// runs that passed and a "yes".
func TestFailedRunsShowInTheRow(t *testing.T) {
	out := "BenchmarkSendRecv256K \t     100\t 10000 ns/op\t 9000 ours-ns/op\t 8000 base-ns/op\t 0.88 x-base\n" +
		"BenchmarkSendRecv256K \t--- FAIL: BenchmarkSendRecv256K\n" +
		"    bench_test.go:40: stream broke\n" +
		"BenchmarkSendRecv256K \t     100\t 10000 ns/op\t 9000 ours-ns/op\t 8000 base-ns/op\t 0.88 x-base\n"
	got := metrics{}
	parse(strings.NewReader(out), got)
	table := render(got)
	line := table.lines[rowIndex(t, "SendRecv256K")]
	if line[5] != "FAILED" || table.failed != 1 {
		t.Fatalf("row %q, %d failed", line, table.failed)
	}
}

// TestRatioPairsTheRuns: a row's ratio is the median of each run's own
// ratio (both sides measured side by side in that run), not the ratio of
// the two sides' medians, which paired one run's ours with another run's
// baseline: here every run but one is as fast as the baseline, and the
// medians' ratio said half as fast.
func TestRatioPairsTheRuns(t *testing.T) {
	got := metrics{"PDUEcho1KBatch": {"ours-ns/op": {100, 200, 300}, "base-ns/op": {100, 200, 100}},
		"SparsecopyVsCp": {"ours-ns/op": {100, 200, 300}, "base-ns/op": {100, 200, 100}}}
	table := render(got)
	if line := table.lines[rowIndex(t, "PDUEcho1KBatch")]; line[3] != "1.00× throughput" || line[5] != "yes" {
		t.Errorf("throughput row %q", line)
	}
	if line := table.lines[rowIndex(t, "SparsecopyVsCp")]; line[3] != "1.00× cost" || line[5] != "yes" {
		t.Errorf("cost row %q", line)
	}
}

// TestCPUSuffix: only a numeric -cpu suffix is taken off a name (with
// -cpu 1, as benchtable runs, go test adds none, and a name's own dash
// was cut off).
func TestCPUSuffix(t *testing.T) {
	for in, want := range map[string]string{"BenchmarkA-4": "A", "BenchmarkA": "A", "BenchmarkX/size-big": "X/size-big",
		"BenchmarkX/size-big-16": "X/size-big"} {
		got := metrics{}
		parse(strings.NewReader(in+" \t 10\t 5 ns/op\n"), got)
		if len(got[want]["ns/op"]) != 1 || len(got) != 1 {
			t.Errorf("%s parsed as %v, want %s", in, got, want)
		}
	}
}

func rowIndex(t *testing.T, bench string) int {
	t.Helper()
	for i, r := range rows {
		if r.Bench == bench {
			return i + 1 // the header is line 0
		}
	}
	t.Fatalf("no row %s", bench)
	return 0
}
