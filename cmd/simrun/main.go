// Command simrun runs actorio's simulation scenarios over many seeds.
//
// Each seed is a whole deterministic run: the same seed and the same build
// give the same fingerprint, in any process. A seed also expands into a
// fault profile (swarm testing: which fault kinds are on, at what rates),
// printed with every failure. Faults run for the profile's fault time;
// then the World heals and every accepted operation must complete.
//
//	go run ./cmd/simrun                            # every scenario, swarm faults
//	go run ./cmd/simrun -scenario durable-kv -seeds 5000 -scheduler pct
//	go run ./cmd/simrun -seed 42 -v                # one seed, with its trace
//	go run ./cmd/simrun -check-determinism         # every seed twice
//	go run ./cmd/simrun -shrink                    # minimise each failure's faults
//	go run ./cmd/simrun -canary                    # planted bugs: seeds to failure
//	go run ./cmd/simrun -scenario canary-lost-ack -shrink  # one planted bug's failures
//	go run ./cmd/simrun -bench                     # events/s, seeds/s, time ratio
//	go run ./cmd/simrun replay -scenario NAME -seed S -trace t.json -trace-format perfetto
//
// Each failure's replay commands name the checkout simrun was built from
// (go -C ROOT run ./cmd/simrun) and absolute paths, so that they work
// pasted in any directory.
//
// The exit status is 0 when every seed passed (or -h asked for the
// usage), 1 when one failed, and 2 for bad flags or a report that could
// not be written (stdout on a full disk). An interrupt (Ctrl-C) stops a
// campaign: the seeds running finish, the failures found so far and the
// summary of the seeds that ran are printed, and simrun exits 1 if one of
// them failed, else 130; a second interrupt ends it at once. -canary
// stops alike (the canary campaigns running finish, the table covers
// those that ran; 1 if PCT missed a canary in one, else 130), and so does
// replay (its one seed runs to its end and is reported; 1 if it failed,
// else 130).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"

	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// catalogue lists the scenarios simrun knows; tests add planted failures.
var catalogue = props.Scenarios

// lookup finds a scenario of the catalogue, or a canary (canary-NAME).
func lookup(name string) (sim.Scenario, error) {
	var names []string
	for _, sc := range catalogue() {
		if sc.Name == name {
			return sc, nil
		}
		names = append(names, sc.Name)
	}
	if sc, _, ok := canaryScenario(name); ok {
		return sc, nil
	}
	return sim.Scenario{}, fmt.Errorf("no scenario %q (have %s, or all; canaries: %s)", name,
		strings.Join(names, ", "), strings.Join(canaryNames(), ", "))
}

// defaultSeeds is how many seeds each scenario gets by default: the whole
// default run takes about a minute on two cores.
const defaultSeeds = 2000

type options struct {
	scenario    string
	seeds       int
	seed        uint64
	seedSet     bool
	verbose     bool
	determinism bool
	parallel    int
	profile     string
	profileSet  bool // -profile given: canaries run under it, not their own
	profileFile *sim.Profile
	scheduler   string
	pctDepth    int
	pctSteps    int64
	shrink      bool
	outDir      string
	canary      bool
	campaigns   int
	limit       int
	bench       bool
	progress    bool
}

// common adds the flags simrun and simrun replay share.
func common(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.scenario, "scenario", "all", "scenario to run, or \"all\"")
	fs.Uint64Var(&o.seed, "seed", 1, "first seed; given alone, run only this seed")
	fs.StringVar(&o.profile, "profile", "swarm", "faults: none, swarm (a profile drawn from each seed) or a profile file")
	fs.StringVar(&o.scheduler, "scheduler", "random", "scheduling strategy: random or pct")
	fs.IntVar(&o.pctDepth, "pct-depth", 2, "PCT depth: ordering constraints a bug may need")
	fs.Int64Var(&o.pctSteps, "pct-steps", 2000, "PCT: change points fall in the first this many steps")
}

// printedError is a usage error already printed to stderr (a flag the
// flag package could not parse: it printed the error and the usage).
type printedError struct{ err error }

func (e printedError) Error() string { return e.err.Error() }

func (e printedError) Unwrap() error { return e.err }

// parseFlags parses and checks a campaign's flags.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("simrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common(fs, o)
	fs.IntVar(&o.seeds, "seeds", defaultSeeds, "number of seeds to run per scenario")
	fs.BoolVar(&o.verbose, "v", false, "print one line per seed; with a single seed, its whole trace")
	fs.BoolVar(&o.determinism, "check-determinism", false, "run every seed twice; report the first diverging event or differing outcome")
	fs.IntVar(&o.parallel, "parallel", runtime.GOMAXPROCS(0), "seeds run at once")
	fs.BoolVar(&o.shrink, "shrink", false, "minimise the fault plan of each failing seed")
	fs.StringVar(&o.outDir, "out", ".", "where -shrink writes minimal plans")
	fs.BoolVar(&o.canary, "canary", false, "run the planted-bug canaries and print seeds to failure")
	fs.IntVar(&o.campaigns, "canary-campaigns", 30, "independent campaigns per canary and scheduler")
	fs.IntVar(&o.limit, "canary-limit", 1000, "seeds per canary campaign before giving up")
	fs.BoolVar(&o.bench, "bench", false, "print events/s, seeds/s and the virtual/wall time ratio")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: simrun [flags]\n       simrun replay -scenario NAME -seed S [-trace FILE -trace-format text|jsonl|perfetto] [-plan FILE]\n\nScenarios:\n")
		for _, sc := range catalogue() {
			fmt.Fprintf(stderr, "  %-14s %s\n", sc.Name, sc.Description)
		}
		fmt.Fprintf(stderr, "\nCanaries (planted bugs; -scenario NAME runs one under its own faults unless -profile is given):\n  %s\n",
			strings.Join(canaryNames(), "\n  "))
		fmt.Fprintf(stderr, "\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExit status: 0 every seed passed, 1 a seed failed, 2 bad flags or an unwritable report, 130 interrupted before a seed failed.\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, printedError{err} // by the flag package, with the usage
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
	switch {
	case o.seeds < 1:
		return nil, fmt.Errorf("-seeds must be at least 1, got %d", o.seeds)
	case uint64(o.seeds-1) > math.MaxUint64-o.seed:
		return nil, fmt.Errorf("-seed %d -seeds %d runs past the largest seed, %d", o.seed, o.seeds, uint64(math.MaxUint64))
	case o.parallel < 1:
		return nil, fmt.Errorf("-parallel must be at least 1, got %d", o.parallel)
	case o.campaigns < 1 || o.limit < 1:
		return nil, fmt.Errorf("-canary-campaigns and -canary-limit must be at least 1")
	case o.bench && o.determinism:
		return nil, fmt.Errorf("-bench measures single runs: not with -check-determinism, which runs every seed twice")
	}
	if o.canary {
		// The canaries bring their own scenarios, profiles, seeds and
		// both schedulers: a campaign flag would be silently ignored.
		var ignored []string
		for _, name := range []string{"scenario", "seed", "seeds", "profile", "scheduler", "pct-depth", "pct-steps",
			"check-determinism", "shrink", "out", "v", "bench"} {
			if seen[name] {
				ignored = append(ignored, "-"+name)
			}
		}
		if len(ignored) > 0 {
			return nil, fmt.Errorf("-canary runs its own scenarios, seeds, profiles and both schedulers: it does not take %s", strings.Join(ignored, " "))
		}
	}
	if err := o.check(seen); err != nil {
		return nil, err
	}
	if !o.canary {
		if _, err := o.scenarios(); err != nil {
			return nil, err // before -out is made: a typo leaves nothing behind
		}
	}
	if seen["out"] && !o.shrink {
		return nil, fmt.Errorf("-out is where -shrink writes minimal plans: it needs -shrink")
	}
	if o.shrink {
		// Found now, not after each failure's shrink: it made the plans,
		// then could not save them.
		if err := os.MkdirAll(o.outDir, 0o755); err != nil {
			return nil, fmt.Errorf("-out: %v", err)
		}
	}
	o.progress = isTerminal(os.Stderr) && !o.verbose
	return o, nil
}

// check validates the flags shared with replay; seen holds the flags
// given.
func (o *options) check(seen map[string]bool) error {
	o.profileSet = seen["profile"]
	switch o.profile {
	case "none", "swarm":
	default:
		p, err := loadProfile(o.profile)
		if err != nil {
			return err
		}
		o.profileFile = &p
	}
	switch o.scheduler {
	case "random", "pct":
	default:
		return fmt.Errorf("-scheduler must be random or pct, got %q", o.scheduler)
	}
	if o.pctDepth < 1 || o.pctSteps < 1 {
		return fmt.Errorf("-pct-depth and -pct-steps must be at least 1")
	}
	if o.scheduler != "pct" && (seen["pct-depth"] || seen["pct-steps"]) {
		return fmt.Errorf("-pct-depth and -pct-steps set the PCT scheduler: they need -scheduler pct")
	}
	return nil
}

// loadProfile reads a profile file with sim.LoadProfile, which refuses
// data after the profile (two profiles in one file, or a truncated edit)
// and an invalid profile (a negative fault time: a World would never
// heal, so it would run its faults for good).
func loadProfile(path string) (sim.Profile, error) { return sim.LoadProfile(path) }

// loadPlan reads a plan file with sim.LoadPlan, which also refuses faults
// at negative times or for negative durations, and incomplete ones.
func loadPlan(path string) (sim.Plan, error) { return sim.LoadPlan(path) }

// profileOf returns the fault profile of seed of scenario sc: a
// canary's own unless -profile is given.
func (o *options) profileOf(sc string, seed uint64) sim.Profile {
	if _, own, ok := canaryScenario(sc); ok && !o.profileSet {
		return own(seed)
	}
	switch {
	case o.profileFile != nil:
		return *o.profileFile
	case o.profile == "none":
		return sim.NoFaults()
	}
	return sim.Swarm(seed)
}

// worldOptions returns the options of one seed's World of scenario sc.
func (o *options) worldOptions(sc string, seed uint64) []sim.Option {
	opts := []sim.Option{sim.WithProfile(o.profileOf(sc, seed))}
	if o.scheduler == "pct" {
		depth, steps := o.pctDepth, o.pctSteps
		opts = append(opts, sim.WithStrategy(func(rng *rand.Rand) sim.Strategy { return sim.NewPCT(rng, depth, steps) }))
	}
	return opts
}

// replayFlags are the flags that reproduce a seed's run, for commands
// printed in reports.
func (o *options) replayFlags() string {
	s := ""
	if o.profileSet {
		profile := o.profile
		if o.profileFile != nil {
			profile = absPath(profile)
		}
		s += " -profile " + shellQuote(profile)
	}
	if o.scheduler != "random" {
		s += fmt.Sprintf(" -scheduler %s -pct-depth %d -pct-steps %d", o.scheduler, o.pctDepth, o.pctSteps)
	}
	return s
}

func (o *options) scenarios() ([]sim.Scenario, error) {
	if o.scenario == "all" {
		return catalogue(), nil
	}
	sc, err := lookup(o.scenario)
	if err != nil {
		return nil, err
	}
	return []sim.Scenario{sc}, nil
}

// run runs simrun with args and returns its exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return reported(stdout, stderr, func(stdout io.Writer) int {
		if len(args) > 0 && args[0] == "replay" {
			return replay(args[1:], stdout, stderr)
		}
		return runCampaigns(args, stdout, stderr)
	})
}

// runCampaigns runs the campaigns (or the canaries) args ask for.
func runCampaigns(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	var printed printedError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0 // asked for: the usage is printed, nothing is wrong
	case errors.As(err, &printed):
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return 2
	}
	if o.canary {
		return canaries(o, stdout, stderr)
	}
	scenarios, err := o.scenarios()
	if err != nil {
		fmt.Fprintf(stderr, "simrun: %v\n", err)
		return 2
	}
	interrupted, stopSignals := interrupts(stderr, "simrun", "seeds")
	defer stopSignals()
	failed := false
	var sums []summary
	var notRun []string
	for _, sc := range scenarios {
		if interrupted.Err() != nil {
			notRun = append(notRun, sc.Name)
			continue
		}
		s := campaign(interrupted, sc, o, stdout, stderr)
		sums = append(sums, s)
		failed = failed || s.failures > 0
	}
	printSummary(stdout, sums, o)
	if interrupted.Err() != nil {
		ran, want := 0, 0
		for _, s := range sums {
			ran += s.seeds
			want += s.planned
		}
		want += len(notRun) * o.seeds
		fmt.Fprintf(stdout, "INTERRUPTED: %d of %d seeds ran; the table and the failures above cover only those", ran, want)
		if len(notRun) > 0 {
			fmt.Fprintf(stdout, "; not started: %s", strings.Join(notRun, ", "))
		}
		fmt.Fprintln(stdout)
		if !failed {
			return 130
		}
	}
	if failed {
		return 1
	}
	return 0
}

// shellQuote quotes s for a POSIX shell when it needs it, so that a
// printed command can be pasted as it is.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isTerminal reports whether f is a terminal (for the progress line).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
