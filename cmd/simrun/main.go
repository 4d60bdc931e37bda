// Command simrun runs actorio's simulation scenarios over many seeds.
//
// Each seed is a whole deterministic run: the same seed and the same build
// give the same fingerprint, in any process. simrun prints a summary per
// scenario and, for each failing seed, the error and a command that
// replays it.
//
//	go run ./cmd/simrun                          # every scenario, seeds 1..100
//	go run ./cmd/simrun -scenario all -seeds 500
//	go run ./cmd/simrun -seed 42 -v              # one seed, with its trace
//	go run ./cmd/simrun -check-determinism       # every seed twice
//
// The exit status is 0 when every seed passed, 1 when one failed, and 2
// for bad flags.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// catalogue lists the scenarios simrun knows; tests add planted failures.
var catalogue = props.Scenarios

func lookup(name string) (sim.Scenario, error) {
	var names []string
	for _, sc := range catalogue() {
		if sc.Name == name {
			return sc, nil
		}
		names = append(names, sc.Name)
	}
	return sim.Scenario{}, fmt.Errorf("no scenario %q (have %s, or all)", name, strings.Join(names, ", "))
}

type options struct {
	scenario    string
	seeds       int
	seed        uint64
	seedSet     bool
	verbose     bool
	determinism bool
	parallel    int
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("simrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.scenario, "scenario", "all", "scenario to run, or \"all\"")
	fs.IntVar(&o.seeds, "seeds", 100, "number of seeds to run")
	fs.Uint64Var(&o.seed, "seed", 1, "first seed; given alone, run only this seed")
	fs.BoolVar(&o.verbose, "v", false, "print one line per seed; with a single seed, its whole trace")
	fs.BoolVar(&o.determinism, "check-determinism", false, "run every seed twice and compare fingerprints")
	fs.IntVar(&o.parallel, "parallel", runtime.GOMAXPROCS(0), "seeds run at once")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: simrun [flags]\n\nScenarios:\n")
		for _, sc := range catalogue() {
			fmt.Fprintf(stderr, "  %-12s %s\n", sc.Name, sc.Description)
		}
		fmt.Fprintf(stderr, "\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	seen := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { seen[f.Name] = true })
	o.seedSet = seen["seed"]
	if o.seedSet && !seen["seeds"] {
		o.seeds = 1
	}
	if o.seeds < 1 {
		return nil, fmt.Errorf("-seeds must be at least 1, got %d", o.seeds)
	}
	if o.parallel < 1 {
		return nil, fmt.Errorf("-parallel must be at least 1, got %d", o.parallel)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintf(stderr, "simrun: %v\n", err)
		}
		return 2
	}
	var scenarios []sim.Scenario
	if o.scenario == "all" {
		scenarios = catalogue()
	} else {
		sc, err := lookup(o.scenario)
		if err != nil {
			fmt.Fprintf(stderr, "simrun: %v\n", err)
			return 2
		}
		scenarios = []sim.Scenario{sc}
	}
	failed := false
	var sums []summary
	for _, sc := range scenarios {
		s := campaign(sc, o, stdout)
		sums = append(sums, s)
		failed = failed || s.failures > 0
	}
	printSummary(stdout, sums)
	if failed {
		return 1
	}
	return 0
}
