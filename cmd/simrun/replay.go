package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/actorio/actorio/sim"
)

// replay runs one seed of one scenario with recording, prints its outcome
// and writes its trace. An interrupt lets the seed finish (a second one
// ends simrun at once), and then its outcome is printed and its trace
// written as usual, with an INTERRUPTED line; it exits 1 if the seed
// failed, else 130.
func replay(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := flag.NewFlagSet("simrun replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common(fs, o)
	tracePath := fs.String("trace", "", "write the run's trace to this file")
	traceFormat := fs.String("trace-format", "text", "trace format: text, jsonl or perfetto (opens in ui.perfetto.dev)")
	planPath := fs.String("plan", "", "replay this fault plan (from -shrink) instead of the profile's faults")
	fs.Lookup("scenario").Usage, fs.Lookup("scenario").DefValue = "the scenario to replay (required)", ""
	fs.Lookup("seed").Usage, fs.Lookup("seed").DefValue = "the seed to replay (required)", ""
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: simrun replay -scenario NAME -seed S [-trace FILE -trace-format text|jsonl|perfetto] [-plan FILE]\n\n"+
			"Replays one seed of one scenario, prints its outcome, profile and faults, and writes its trace.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExit status: 0 the seed passed, 1 it failed, 2 bad flags, an unreadable plan or profile, or an unwritable trace or report, 130 interrupted (the seed still runs to its end and is reported) and it passed.\n")
	}
	if err := fs.Parse(args); err == flag.ErrHelp {
		return 0 // asked for: the usage is printed, nothing is wrong
	} else if err != nil {
		return 2 // the flag package printed the error and the usage
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "simrun replay: "+format+"\n", args...)
		return 2
	}
	if fs.NArg() > 0 {
		return fail("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.scenario == "all" {
		return fail("-scenario names one scenario")
	}
	seen := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { seen[f.Name] = true })
	if !seen["seed"] {
		return fail("-seed S is required: the seed to replay")
	}
	if err := o.check(seen); err != nil {
		return fail("%v", err)
	}
	format, err := sim.ParseTraceFormat(*traceFormat)
	if err != nil {
		return fail("%v", err)
	}
	if seen["trace-format"] && *tracePath == "" {
		return fail("-trace-format %s needs -trace FILE to write the trace to", format)
	}
	sc, err := lookup(o.scenario)
	if err != nil {
		return fail("%v", err)
	}
	opts := append(o.worldOptions(sc.Name, o.seed), sim.WithRecording())
	if *planPath != "" {
		p, err := loadPlan(*planPath)
		if err != nil {
			return fail("%v", err)
		}
		opts = append(opts, sim.WithPlan(p))
	}
	// Open the trace file first: a path that cannot be written is a
	// usage error found before the run, not after it.
	var traceFile *os.File
	if *tracePath != "" {
		if traceFile, err = os.Create(*tracePath); err != nil {
			return fail("%v", err)
		}
		defer traceFile.Close()
	}
	interrupted, stopSignals := interrupts(stderr, "simrun replay", "seed")
	defer stopSignals()
	out := sim.RunScenario(sc, o.seed, opts...)
	status := "ok"
	if out.Err != nil {
		status = "FAIL: " + out.Err.Error()
	}
	fmt.Fprintf(stdout, "%s seed %d: fingerprint %016x, %d steps, %d events, virtual time %v\n  profile: %v\n  faults: %v\n  %s\n",
		sc.Name, o.seed, out.Fingerprint, out.Steps, len(out.Trace), out.VirtualTime, out.Profile, out.Plan, status)
	if traceFile != nil {
		werr := sim.WriteTrace(traceFile, format, out.Trace)
		if cerr := traceFile.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fail("write trace %s: %v", *tracePath, werr)
		}
		fmt.Fprintf(stdout, "  trace: %s (%s)\n", *tracePath, format)
	}
	if interrupted.Err() != nil {
		fmt.Fprintln(stdout, "INTERRUPTED: the seed ran to its end first; its outcome is above")
	}
	switch {
	case out.Err != nil:
		return 1
	case interrupted.Err() != nil:
		return 130
	}
	return 0
}
