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
// and writes its trace.
func replay(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := flag.NewFlagSet("simrun replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	common(fs, o)
	tracePath := fs.String("trace", "", "write the run's trace to this file")
	traceFormat := fs.String("trace-format", "text", "trace format: text, jsonl or perfetto (opens in ui.perfetto.dev)")
	planPath := fs.String("plan", "", "replay this fault plan (from -shrink) instead of the profile's faults")
	if err := fs.Parse(args); err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintf(stderr, "simrun replay: %v\n", err)
		}
		return 2
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
	if err := o.check(); err != nil {
		return fail("%v", err)
	}
	format, err := sim.ParseTraceFormat(*traceFormat)
	if err != nil {
		return fail("%v", err)
	}
	sc, err := lookup(o.scenario)
	if err != nil {
		return fail("%v", err)
	}
	opts := append(o.worldOptions(o.seed), sim.WithRecording())
	if *planPath != "" {
		p, err := sim.LoadPlan(*planPath)
		if err != nil {
			return fail("%v", err)
		}
		opts = append(opts, sim.WithPlan(p))
	}
	out := sim.RunScenario(sc, o.seed, opts...)
	status := "ok"
	if out.Err != nil {
		status = "FAIL: " + out.Err.Error()
	}
	fmt.Fprintf(stdout, "%s seed %d: fingerprint %016x, %d steps, %d events, virtual time %v\n  profile: %v\n  faults: %v\n  %s\n",
		sc.Name, o.seed, out.Fingerprint, out.Steps, len(out.Trace), out.VirtualTime, out.Profile, out.Plan, status)
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			return fail("%v", err)
		}
		werr := sim.WriteTrace(f, format, out.Trace)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fail("write trace: %v", werr)
		}
		fmt.Fprintf(stdout, "  trace: %s (%s)\n", *tracePath, format)
	}
	if out.Err != nil {
		return 1
	}
	return 0
}
