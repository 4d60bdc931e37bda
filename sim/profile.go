package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// Duration is a time.Duration that reads and writes as text ("250ms") in
// profile files.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the Duration in readable form.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return errors.Wrapf(err, "sim: bad duration %q", b)
	}
	*d = Duration(v)
	return nil
}

// Profile says which faults a run injects and how often: the swarm-testing
// idea (Groce et al.) that each run leaves out a random subset of fault
// kinds and weights the rest differently finds more bugs than "everything
// on, always". A seed expands into one (Swarm); it prints on one line, and
// saves to and loads from a JSON file for replay.
//
// Faults run until FaultTime of virtual time; then the World heals: no
// new faults, partitions and clogs mend, crashed nodes restart, and the
// devices' heal hooks run. After healing every accepted operation must
// complete (liveness). Faults only target what a scenario declares
// survivable: nodes added with Boot crash, actors a scenario lets panic
// (AllowPanics) panic.
type Profile struct {
	Name       string           `json:"name"`
	FaultTime  Duration         `json:"fault_time"`
	Net        NetFaults        `json:"net"`
	Partitions *PartitionFaults `json:"partitions,omitempty"`
	Clogs      *ClogFaults      `json:"clogs,omitempty"`
	Crashes    *CrashFaults     `json:"crashes,omitempty"`
	Panics     *PanicFaults     `json:"panics,omitempty"`
	Buggify    *BuggifyFaults   `json:"buggify,omitempty"`
	// Devices holds the fault settings of simulated devices (files,
	// sockets), by device kind; each device reads its own entry.
	Devices map[string]json.RawMessage `json:"devices,omitempty"`
}

// PartitionFaults cut the network between two random nodes, on average
// every Every, for a duration in [Min, Max]; a OneWay fraction of them cut
// one direction only.
type PartitionFaults struct {
	Every  Duration `json:"every"`
	Min    Duration `json:"min"`
	Max    Duration `json:"max"`
	OneWay float64  `json:"one_way"`
}

// ClogFaults delay every message on a random link (or, for a Node
// fraction, all links of a random node) for a duration in [Min, Max], on
// average every Every.
type ClogFaults struct {
	Every Duration `json:"every"`
	Min   Duration `json:"min"`
	Max   Duration `json:"max"`
	Node  float64  `json:"node"`
}

// CrashFaults crash a random booted node on average every Every and
// restart it after a downtime in [DownMin, DownMax].
type CrashFaults struct {
	Every   Duration `json:"every"`
	DownMin Duration `json:"down_min"`
	DownMax Duration `json:"down_max"`
}

// PanicFaults make a delivery to an actor the scenario allows to fail
// panic instead, with probability Rate.
type PanicFaults struct {
	Rate float64 `json:"rate"`
}

// BuggifyFaults turn on named fault points: each site is activated for the
// run with probability Activate when first reached, and an active site
// fires with probability Fire each time.
type BuggifyFaults struct {
	Activate float64 `json:"activate"`
	Fire     float64 `json:"fire"`
}

// deviceProfile lets a simulated device (a file, a socket network) take
// part in profiles: swarm draws its settings for a seed (nil: off) as JSON,
// which the device reads back with World.DeviceFaults.
type deviceProfile struct {
	kind     string
	swarm    func(rng *rand.Rand) json.RawMessage
	validate func(raw json.RawMessage) error
}

var deviceProfiles []deviceProfile

// RegisterDevice adds a simulated device kind to swarm profiles. Devices
// register in an init function; kinds must be unique. validate checks a
// profile's settings for the kind (Profile.Validate calls it; nil: any
// JSON object is accepted); its errors are wrapped with ErrInvalid.
func RegisterDevice(kind string, swarm func(rng *rand.Rand) json.RawMessage, validate func(raw json.RawMessage) error) {
	for _, d := range deviceProfiles {
		if d.kind == kind {
			panic("sim: device kind " + kind + " registered twice")
		}
	}
	deviceProfiles = append(deviceProfiles, deviceProfile{kind: kind, swarm: swarm, validate: validate})
}

// DeviceFaults decodes the run profile's settings for device kind into v,
// and reports whether there were any (false: the device's faults are off).
func (w *World) DeviceFaults(kind string, v any) (bool, error) {
	raw, ok := w.profile.Devices[kind]
	if !ok || w.healed {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, errors.Wrapf(err, "sim: profile of device %s", kind)
	}
	return true, nil
}

// NoFaults is the profile without faults.
func NoFaults() Profile { return Profile{Name: "none"} }

// Swarm expands seed into a random profile: each fault kind is on with
// probability one half (Buggify 80%, as FoundationDB's harness does), with
// random rates. It draws from its own stream, so it depends on the seed
// alone.
func Swarm(seed uint64) Profile {
	rng := stream(seed, "profile")
	on := func(p float64) bool { return rng.Float64() < p }
	between := func(lo, hi time.Duration) Duration {
		return Duration(lo + time.Duration(rng.Int64N(int64(hi-lo)+1)))
	}
	p := Profile{Name: "swarm", FaultTime: between(200*time.Millisecond, 3*time.Second)}
	if on(0.5) {
		p.Net.LatencyMin = between(0, 2*time.Millisecond)
		p.Net.LatencyMax = p.Net.LatencyMin + between(0, 20*time.Millisecond)
	}
	if on(0.5) {
		p.Net.Drop = rng.Float64() * 0.1
	}
	if on(0.5) {
		p.Net.Duplicate = rng.Float64() * 0.05
	}
	if on(0.3) {
		p.Net.Reorder = rng.Float64() * 0.05
	}
	if on(0.5) {
		p.Partitions = &PartitionFaults{Every: between(50*time.Millisecond, 2*time.Second),
			Min: between(time.Millisecond, 50*time.Millisecond), OneWay: rng.Float64()}
		p.Partitions.Max = p.Partitions.Min + between(0, time.Second)
	}
	if on(0.5) {
		p.Clogs = &ClogFaults{Every: between(50*time.Millisecond, 2*time.Second),
			Min: between(time.Millisecond, 20*time.Millisecond), Node: rng.Float64() * 0.5}
		p.Clogs.Max = p.Clogs.Min + between(0, 500*time.Millisecond)
	}
	if on(0.5) {
		p.Crashes = &CrashFaults{Every: between(100*time.Millisecond, 3*time.Second),
			DownMin: between(time.Millisecond, 20*time.Millisecond)}
		p.Crashes.DownMax = p.Crashes.DownMin + between(0, 500*time.Millisecond)
	}
	if on(0.5) {
		p.Panics = &PanicFaults{Rate: rng.Float64() * 0.02}
	}
	if on(0.8) {
		p.Buggify = &BuggifyFaults{Activate: 0.25, Fire: 0.05 + rng.Float64()*0.45}
	}
	for _, d := range deviceProfiles {
		// Each device draws from its own stream: adding a device does
		// not change the profile of the others.
		if raw := d.swarm(stream(seed, "profile/device/"+d.kind)); raw != nil {
			if p.Devices == nil {
				p.Devices = map[string]json.RawMessage{}
			}
			p.Devices[d.kind] = raw
		}
	}
	return p
}

// String prints the profile on one line: the fault kinds that are on.
func (p Profile) String() string {
	var parts []string
	n := p.Net
	if n.LatencyMax > 0 {
		parts = append(parts, fmt.Sprintf("latency=%v-%v", n.LatencyMin, n.LatencyMax))
	}
	if n.Drop > 0 {
		parts = append(parts, fmt.Sprintf("drop=%.3f", n.Drop))
	}
	if n.Duplicate > 0 {
		parts = append(parts, fmt.Sprintf("dup=%.3f", n.Duplicate))
	}
	if n.Reorder > 0 {
		parts = append(parts, fmt.Sprintf("reorder=%.3f", n.Reorder))
	}
	if f := p.Partitions; f != nil {
		parts = append(parts, fmt.Sprintf("partition(every=%v,%v-%v,oneway=%.2f)", f.Every, f.Min, f.Max, f.OneWay))
	}
	if f := p.Clogs; f != nil {
		parts = append(parts, fmt.Sprintf("clog(every=%v,%v-%v,node=%.2f)", f.Every, f.Min, f.Max, f.Node))
	}
	if f := p.Crashes; f != nil {
		parts = append(parts, fmt.Sprintf("crash(every=%v,down=%v-%v)", f.Every, f.DownMin, f.DownMax))
	}
	if f := p.Panics; f != nil {
		parts = append(parts, fmt.Sprintf("panic=%.4f", f.Rate))
	}
	if f := p.Buggify; f != nil {
		parts = append(parts, fmt.Sprintf("buggify(%.2f/%.2f)", f.Activate, f.Fire))
	}
	for _, d := range deviceProfiles {
		if raw, ok := p.Devices[d.kind]; ok {
			parts = append(parts, d.kind+string(raw))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no faults")
	}
	head := p.Name
	if p.FaultTime > 0 {
		head += fmt.Sprintf(" heal@%v", p.FaultTime)
	}
	return head + ": " + strings.Join(parts, " ")
}

// ErrInvalid is matched (errors.Is) by the errors of Profile.Validate and
// Plan.Validate, and so by the refusals of invalid input by LoadProfile,
// LoadPlan, a World's runs and Shrink.
var ErrInvalid = errors.New("invalid fault input")

// Validate checks rates are probabilities, intervals are sane and the
// fault time is not negative. LoadProfile, LoadPlan and New (for the
// profile of WithProfile or WithPlan) call it. Its errors match
// ErrInvalid.
func (p Profile) Validate() error {
	prob := func(name string, v float64) error {
		if err := checkProb(name, v); err != nil {
			return errors.Wrap(ErrInvalid, err.Error())
		}
		return nil
	}
	if p.FaultTime < 0 {
		return errors.Wrapf(ErrInvalid, "fault_time %v is negative: the run would never heal", p.FaultTime)
	}
	checks := []error{p.Net.validate("net.")}
	if f := p.Partitions; f != nil {
		checks = append(checks, prob("partitions.one_way", f.OneWay), interval("partitions", f.Every, f.Min, f.Max))
	}
	if f := p.Clogs; f != nil {
		checks = append(checks, prob("clogs.node", f.Node), interval("clogs", f.Every, f.Min, f.Max))
	}
	if f := p.Crashes; f != nil {
		checks = append(checks, interval("crashes", f.Every, f.DownMin, f.DownMax))
	}
	if f := p.Panics; f != nil {
		checks = append(checks, prob("panics.rate", f.Rate))
	}
	if f := p.Buggify; f != nil {
		checks = append(checks, prob("buggify.activate", f.Activate), prob("buggify.fire", f.Fire))
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return p.validateDevices()
}

// validateDevices checks the devices' sections: each must name a
// registered kind and hold settings its device accepts.
func (p Profile) validateDevices() error {
	for _, kind := range slices.Sorted(maps.Keys(p.Devices)) {
		i := slices.IndexFunc(deviceProfiles, func(d deviceProfile) bool { return d.kind == kind })
		if i < 0 {
			var known []string
			for _, d := range deviceProfiles {
				known = append(known, d.kind)
			}
			return errors.Wrapf(ErrInvalid, "devices: unknown device kind %q (known: %s)", kind, strings.Join(known, ", "))
		}
		if v := deviceProfiles[i].validate; v != nil {
			if err := v(p.Devices[kind]); err != nil {
				return errors.Wrapf(ErrInvalid, "devices.%s: %v", kind, err)
			}
		}
	}
	return nil
}

// decodeDevice decodes a device's settings strictly (unknown fields are
// errors) into v: the validate half of a RegisterDevice.
func decodeDevice(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return decodeOne(dec, v)
}

// checkProb refuses a v that is not a probability (NaN is not one),
// naming field. Profile.Validate and the devices' validators share it,
// so that they agree.
func checkProb(field string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return errors.Errorf("%s = %v is not a probability", field, v)
	}
	return nil
}

// checkRate refuses a rate (events per second) that is negative, NaN or
// infinite, naming field.
func checkRate(field string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 1) {
		return errors.Errorf("%s = %v is not a rate (finite, not negative)", field, v)
	}
	return nil
}

// checkDuration refuses a negative duration, naming field.
func checkDuration(field string, d Duration) error {
	if d < 0 {
		return errors.Errorf("%s = %v is negative", field, d)
	}
	return nil
}

// firstErr returns the first non-nil error of errs.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func interval(name string, every, lo, hi Duration) error {
	if every <= 0 || lo < 0 || hi < lo {
		return errors.Wrapf(ErrInvalid, "%s: every=%v, %v-%v is not a valid schedule", name, every, lo, hi)
	}
	return nil
}
