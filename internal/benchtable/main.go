// Command benchtable runs actorio's benchmark suite, each benchmark
// together with its baseline in the same run (internal/benchcmp), and
// prints one table: workload, ours, baseline, ratio, target, met. With
// -md FILE it also writes the table, the machine and the date as Markdown,
// followed by notes.md (how to read it; why a missed target is missed).
// -raw FILE keeps the measured values, and -from FILE renders them again
// (to revise the notes without measuring again).
//
//	go run ./internal/benchtable -count 3 -md BENCHMARKS.md
//
// It is what `make bench` runs.
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	count := flag.Int("count", 3, "runs of each benchmark; the table shows medians")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime")
	md := flag.String("md", "", "also write the table as Markdown to this file")
	only := flag.String("only", "", "run only rows whose benchmark name contains this")
	raw := flag.String("raw", "", "also write every measured value as JSON to this file")
	from := flag.String("from", "", "render the values a -raw FILE holds instead of running")
	flag.Parse()
	var results metrics
	var logs string
	if *from != "" {
		data, err := os.ReadFile(*from)
		if err == nil {
			err = json.Unmarshal(data, &results)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchtable: -from:", err)
			os.Exit(2)
		}
	} else {
		results, logs = runAll(*count, *benchtime, *only)
	}
	if *raw != "" && *from == "" {
		data, _ := json.MarshalIndent(results, "", " ")
		if err := os.WriteFile(*raw, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
		}
	}
	table := render(results)
	fmt.Print(table.text)
	if logs != "" {
		fmt.Fprint(os.Stderr, logs)
	}
	if *md != "" {
		if err := os.WriteFile(*md, []byte(markdown(table, *count, *benchtime)), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable:", err)
			os.Exit(1)
		}
	}
	if table.missed > 0 || table.missing > 0 || table.failed > 0 {
		fmt.Fprintf(os.Stderr, "benchtable: %d targets missed, %d benchmarks missing, %d failed\n", table.missed, table.missing, table.failed)
	}
	// A missed target is a finding (BENCHMARKS.md says why); a benchmark
	// that failed, or a run that could not measure, is not a table.
	if logs != "" || table.failed > 0 {
		os.Exit(1)
	}
}

// metrics holds each benchmark's metric values over the runs.
type metrics map[string]map[string][]float64 // bench → unit → values

// runAll runs each package's benchmarks once (with -count), one package
// at a time so that they do not compete for the cores.
func runAll(count int, benchtime, only string) (metrics, string) {
	byPkg := map[string][]string{}
	var pkgs []string
	for _, r := range rows {
		if only != "" && !strings.Contains(r.Bench, only) {
			continue
		}
		if _, err := os.Stat(strings.TrimPrefix(r.Pkg, "./")); err != nil && r.Pkg != cachegrindPkg {
			continue // the package does not exist (yet)
		}
		if _, seen := byPkg[r.Pkg]; !seen {
			pkgs = append(pkgs, r.Pkg)
		}
		byPkg[r.Pkg] = append(byPkg[r.Pkg], r.Bench)
	}
	out := metrics{}
	var logs strings.Builder
	for _, pkg := range pkgs {
		if pkg == cachegrindPkg {
			fmt.Fprintf(os.Stderr, "benchtable: cachegrind %s\n", cachegrindBench)
			if err := runCachegrind(out); err != nil {
				fmt.Fprintf(&logs, "benchtable: %s: %v\n", cachegrindBench, err)
			}
			continue
		}
		pattern := "^Benchmark(" + strings.Join(byPkg[pkg], "|") + ")$"
		cmd := exec.Command("go", "test", "-run", "^$", "-bench", pattern, "-benchmem", "-cpu", "1",
			"-count", strconv.Itoa(count), "-benchtime", benchtime, "-timeout", "60m", pkg)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		fmt.Fprintf(os.Stderr, "benchtable: %s %s\n", pkg, pattern)
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(&logs, "benchtable: %s: %v\n%s%s", pkg, err, stdout.String(), stderr.String())
		}
		parse(&stdout, out)
	}
	return out, logs.String()
}

// parse reads `go test -bench` output: "BenchmarkName  N  v unit  v unit …".
// go test prints the name before it runs the benchmark and the figures
// after, so what the benchmark logs meanwhile may split the two: figures
// on a line of their own belong to the last name seen. A run of a
// benchmark that fails ("--- FAIL: BenchmarkName", and no figures) counts
// under the unit failedUnit.
func parse(r io.Reader, into metrics) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	pending := ""
	add := func(name, unit string, v float64) {
		if into[name] == nil {
			into[name] = map[string][]float64{}
		}
		into[name][unit] = append(into[name][unit], v)
	}
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "--- FAIL: Benchmark"); i >= 0 {
			if f := strings.Fields(line[i+len("--- FAIL: "):]); len(f) > 0 {
				add(benchName(f[0]), failedUnit, 1)
			}
			pending = ""
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.HasPrefix(f[0], "Benchmark") {
			pending = benchName(f[0])
			f = f[1:]
		}
		if pending == "" || len(f) < 3 || !isResult(f) {
			continue
		}
		for i := 1; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				add(pending, f[i+1], v)
			}
		}
		pending = ""
	}
}

// failedUnit is the unit under which parse counts a benchmark's failed runs.
const failedUnit = "FAILED"

// benchName returns a benchmark's name as the rows give it: without
// "Benchmark" and without the -cpu suffix ("-4"), which go test adds only
// when GOMAXPROCS is not 1, so a dash followed by anything but digits is
// part of the name ("BenchmarkX/size-big").
func benchName(s string) string {
	s = strings.TrimPrefix(s, "Benchmark")
	if i := strings.LastIndexByte(s, '-'); i > 0 && i < len(s)-1 && strings.Trim(s[i+1:], "0123456789") == "" {
		s = s[:i]
	}
	return s
}

// isResult says whether f is a benchmark's figures: an iteration count,
// then value-unit pairs, among them ns/op.
func isResult(f []string) bool {
	if _, err := strconv.Atoi(f[0]); err != nil {
		return false
	}
	for i := 2; i < len(f); i += 2 {
		if f[i] == "ns/op" {
			return true
		}
	}
	return false
}

// median returns the median of vs: with an even count, the mean of the
// two middle values.
func median(vs []float64) (float64, bool) {
	if len(vs) == 0 {
		return 0, false
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2, true
	}
	return s[n/2], true
}

// pairedRatio returns the median over the runs of num[i] ÷ den[i]: each
// run's figures of both sides come from the same benchmark run (the same
// output line), measured side by side, so their ratio is what the run
// says; a ratio of the two medians would pair a slow run of one side
// with a fast run of the other. Without pairs (counts differ) it falls
// back to the ratio of the medians.
func pairedRatio(num, den []float64) float64 {
	if len(num) == len(den) {
		var rs []float64
		for i := range num {
			if num[i] > 0 && den[i] > 0 {
				rs = append(rs, num[i]/den[i])
			}
		}
		if len(rs) == len(num) {
			r, _ := median(rs)
			return r
		}
	}
	n, _ := median(num)
	d, _ := median(den)
	return n / d
}

type rendered struct {
	text                    string
	lines                   [][]string
	missed, missing, failed int
}

// render computes each row from the medians.
func render(m metrics) rendered {
	var t rendered
	t.lines = append(t.lines, []string{"workload", "ours", "baseline", "ratio", "target", "met?"})
	for _, r := range rows {
		line := evaluate(r, m[r.Bench])
		switch line[5] {
		case "no":
			t.missed++
		case "missing":
			t.missing++
		case "FAILED":
			t.failed++
		}
		t.lines = append(t.lines, line)
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, l := range t.lines {
		fmt.Fprintln(tw, strings.Join(l, "\t"))
	}
	tw.Flush()
	t.text = b.String()
	return t
}

func evaluate(r row, got map[string][]float64) []string {
	line := []string{r.Workload, "—", r.Baseline, "—", target(r), "missing"}
	if n := len(got[failedUnit]); n > 0 {
		// The runs that passed are not the measurement asked for (and
		// their figures may be what made the others fail).
		line[5] = "FAILED"
		line[3] = fmt.Sprintf("%d of the runs failed", n)
		return line
	}
	switch r.Kind {
	case throughput, cost:
		oursMetric, baseMetric := "ours-ns/op", "base-ns/op"
		if r.Ours != "" {
			oursMetric, baseMetric = r.Ours, r.Base
		}
		o, ok1 := median(got[oursMetric])
		b, ok2 := median(got[baseMetric])
		if !ok1 || !ok2 || o == 0 || b == 0 {
			return line
		}
		if r.Unit == "" {
			line[1] = fmt.Sprintf("%s/op", dur(o))
			line[2] = fmt.Sprintf("%s (%s/op)", r.Baseline, dur(b))
		} else {
			line[1] = withUnit(o, r.Unit) + misses(got, "ours")
			line[2] = fmt.Sprintf("%s (%s%s)", r.Baseline, withUnit(b, r.Unit), misses(got, "base"))
		}
		if r.Kind == throughput {
			ratio := pairedRatio(got[baseMetric], got[oursMetric])
			line[3] = fmt.Sprintf("%.2f× throughput", ratio)
			line[5] = met(r.Target == 0 || ratio >= r.Target, r.Target == 0)
		} else {
			ratio := pairedRatio(got[oursMetric], got[baseMetric])
			line[3] = fmt.Sprintf("%.2f× cost", ratio)
			line[5] = met(r.Target == 0 || ratio <= r.Target, r.Target == 0)
		}
	case absolute, ceiling:
		v, ok := median(got[r.Metric])
		if !ok {
			return line
		}
		line[1] = withUnit(v, r.Unit)
		line[3] = "—"
		pass := r.Kind == absolute && v >= r.Target || r.Kind == ceiling && v <= r.Target
		line[5] = met(r.Target == 0 || pass, r.Target == 0)
	}
	return line
}

// misses adds the cache misses per event of a cachegrind row's side.
func misses(got map[string][]float64, side string) string {
	d1, ok1 := median(got[side+"-D1miss/event"])
	ll, ok2 := median(got[side+"-LLmiss/event"])
	if !ok1 || !ok2 {
		return ""
	}
	return fmt.Sprintf("; %.1f D1, %.2f LL misses", d1, ll)
}

func target(r row) string {
	switch {
	case r.Target == 0:
		return "report"
	case r.Kind == throughput:
		return fmt.Sprintf("≥ %.1f×", r.Target)
	case r.Kind == cost:
		return fmt.Sprintf("≤ %.1f×", r.Target)
	case r.Kind == ceiling:
		return "≤ " + withUnit(r.Target, r.Unit)
	}
	return "≥ " + withUnit(r.Target, r.Unit)
}

func met(ok, reportOnly bool) string {
	switch {
	case reportOnly:
		return "—"
	case ok:
		return "yes"
	}
	return "no"
}

func dur(ns float64) string { return time.Duration(ns).Round(time.Duration(max(1, ns/1000))).String() }

// withUnit prints v in unit: bytes in B or KiB, anything else through human.
func withUnit(v float64, unit string) string {
	switch {
	case unit == "B" && v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	case unit == "B":
		return fmt.Sprintf("%.0f B", v)
	case unit == "×":
		return fmt.Sprintf("%.2f×", v)
	}
	return human(v) + " " + unit
}

func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1f k", v/1e3)
	case v == float64(int64(v)) || v >= 100:
		return strconv.FormatInt(int64(v+0.5), 10)
	}
	return fmt.Sprintf("%.2f", v)
}

// notes is what BENCHMARKS.md says below the table: how to read it, and
// why each target that is missed is missed, with the profile evidence.
//
//go:embed notes.md
var notes string

// markdown renders the table with the machine and the date.
func markdown(t rendered, count int, benchtime string) string {
	var b strings.Builder
	b.WriteString("# actorio benchmarks\n\n")
	fmt.Fprintf(&b, "Measured %s on %s (%s/%s, %d CPUs, %s); each benchmark run %d times (%s each, one core: `-cpu 1`), medians shown.\n\n",
		time.Now().UTC().Format("2006-01-02"), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version(), count, benchtime)
	b.WriteString("Every ratio is measured against its baseline **in the same run**: `internal/benchcmp` alternates our workload and the baseline in slices, so both see the same machine. ")
	b.WriteString("Throughput ratios are ours ÷ baseline (1× = as fast); cost ratios are our time or cost per unit ÷ the baseline's (1× = as cheap).\n\n")
	b.WriteString("Reproduce: `make bench` (or `go run ./internal/benchtable -count 3 -md BENCHMARKS.md`).\n\n")
	for i, l := range t.lines {
		b.WriteString("| " + strings.Join(l, " | ") + " |\n")
		if i == 0 {
			b.WriteString("|" + strings.Repeat("---|", len(l)) + "\n")
		}
	}
	b.WriteString("\n")
	b.WriteString(notes)
	return b.String()
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
