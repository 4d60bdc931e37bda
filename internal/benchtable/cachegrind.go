package main

// The instructions row: how many instructions one simulated event costs
// with 10,000 actors against 10, counted by cachegrind. Wall time per
// event grows with the number of actors because their state stops fitting
// in the caches; the instruction count shows that the work per event does
// not grow (the algorithm is flat) and the cache-miss counts show where the
// time goes. Each size runs at two step counts; the difference divided by
// the difference in steps takes the set-up out.

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// cachegrindBench is the name the row reads its metrics under.
const cachegrindBench = "HotPotatoInstructions"

// cachegrindSteps are the two step counts each size runs.
var cachegrindSteps = [2]int{100_000, 1_100_000}

// runCachegrind fills into[cachegrindBench] with "ours-Ir/event" (10,000
// actors), "base-Ir/event" (10 actors) and the misses per event of each.
func runCachegrind(into metrics) error {
	if _, err := exec.LookPath("valgrind"); err != nil {
		return fmt.Errorf("valgrind not installed (apt-get install valgrind): %w", err)
	}
	dir, err := os.MkdirTemp("", "benchtable")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "sim.test")
	if out, err := exec.Command("go", "test", "-c", "-o", bin, "./sim").CombinedOutput(); err != nil {
		return fmt.Errorf("build sim tests: %v\n%s", err, out)
	}
	m := map[string][]float64{}
	for _, size := range []struct {
		actors int
		side   string
	}{{10_000, "ours"}, {10, "base"}} {
		var counts [2]cgCounts
		for i, steps := range cachegrindSteps {
			c, err := cachegrind(bin, size.actors, steps)
			if err != nil {
				return err
			}
			counts[i] = c
		}
		d := float64(cachegrindSteps[1] - cachegrindSteps[0])
		m[size.side+"-Ir/event"] = []float64{float64(counts[1].ir-counts[0].ir) / d}
		m[size.side+"-D1miss/event"] = []float64{float64(counts[1].d1-counts[0].d1) / d}
		m[size.side+"-LLmiss/event"] = []float64{float64(counts[1].ll-counts[0].ll) / d}
	}
	into[cachegrindBench] = m
	return nil
}

type cgCounts struct{ ir, d1, ll int64 }

// cachegrind runs BenchmarkHotPotatoSteps for one size and step count.
func cachegrind(bin string, actors, steps int) (cgCounts, error) {
	cmd := exec.Command("valgrind", "--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file=/dev/null",
		bin, "-test.run", "^$", "-test.bench", fmt.Sprintf("^BenchmarkHotPotatoSteps$/^actors=%d$", actors),
		"-test.benchtime", fmt.Sprintf("%dx", steps), "-test.cpu", "1")
	cmd.Dir = filepath.Dir(bin)
	// No garbage collection: how many cycles fall in each of the two
	// runs varies from run to run (the background mark workers' timing),
	// which made the difference noisy (1.0× to 1.5× on one build). The
	// collector's share shows in the wall-time row.
	cmd.Env = append(os.Environ(), "GOGC=off")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return cgCounts{}, fmt.Errorf("cachegrind, %d actors, %d steps: %v\n%s", actors, steps, err, out.String())
	}
	var c cgCounts
	var seen int
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "== "); i >= 0 {
			line = line[i+3:]
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(f[0], ",", ""), 10, 64)
		if err != nil {
			continue
		}
		switch strings.TrimSpace(k) {
		case "I refs", "I   refs":
			c.ir, seen = n, seen+1
		case "D1 misses", "D1  misses":
			c.d1, seen = n, seen+1
		case "LLd misses":
			c.ll, seen = n, seen+1
		}
	}
	if seen < 3 {
		return cgCounts{}, fmt.Errorf("cachegrind, %d actors, %d steps: no totals in its output:\n%s", actors, steps, out.String())
	}
	return c, nil
}

// cachegrindPkg marks the row runCachegrind measures (not a go test run).
const cachegrindPkg = "cachegrind:./sim"
