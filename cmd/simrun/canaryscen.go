package main

import (
	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
)

// canaryPrefix names a canary's buggy workload as a scenario: -scenario
// canary-lost-ack runs the lost-ack canary, so that a failure it finds
// can be looked at (replayed, traced, shrunk) like any other. Canaries
// are never part of -scenario all.
const canaryPrefix = "canary-"

// canaryList lists the canaries simrun knows; tests plant their own.
var canaryList = props.Canaries

// canaryScenario returns the canary called name (canary-NAME) as a
// scenario, and its own fault profile, which it runs under unless
// -profile is given.
func canaryScenario(name string) (sim.Scenario, func(uint64) sim.Profile, bool) {
	for _, c := range canaryList() {
		if canaryPrefix+c.Name == name {
			sc := c.Scenario
			sc.Name = name // several canaries share a workload's name
			return sc, c.Profile, true
		}
	}
	return sim.Scenario{}, nil, false
}

// canaryNames lists the canaries as -scenario takes them.
func canaryNames() []string {
	var names []string
	for _, c := range canaryList() {
		names = append(names, canaryPrefix+c.Name)
	}
	return names
}
