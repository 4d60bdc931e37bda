package sim

// Profile files are read and written by the command line before and after
// runs, never inside one.

import (
	"bytes"
	"encoding/json"
	"io"
	"os"

	"github.com/pkg/errors"
)

// Save writes the profile as JSON to path.
func (p Profile) Save(path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return errors.Wrap(err, "sim: encode profile")
	}
	return errors.Wrapf(os.WriteFile(path, append(b, '\n'), 0o644), "sim: save profile")
}

// LoadProfile reads a profile saved with Save. Unknown fields, data after
// the profile and an invalid profile (Profile.Validate) are errors.
func LoadProfile(path string) (Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return Profile{}, errors.Wrap(err, "sim: load profile")
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var p Profile
	if err := decodeOne(dec, &p); err != nil {
		return Profile{}, errors.Wrapf(err, "sim: load profile %s", path)
	}
	if err := compactDevices(&p); err != nil {
		return Profile{}, errors.Wrapf(err, "sim: load profile %s", path)
	}
	if err := p.Validate(); err != nil {
		return Profile{}, errors.Wrapf(err, "sim: load profile %s", path)
	}
	return p, nil
}

// SavePlan writes a fault plan as JSON to path.
func SavePlan(p Plan, path string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return errors.Wrap(err, "sim: encode plan")
	}
	return errors.Wrapf(os.WriteFile(path, append(b, '\n'), 0o644), "sim: save plan")
}

// LoadPlan reads a plan saved with SavePlan. Unknown fields, data after
// the plan and an invalid plan (Plan.Validate) are errors.
func LoadPlan(path string) (Plan, error) {
	f, err := os.Open(path)
	if err != nil {
		return Plan{}, errors.Wrap(err, "sim: load plan")
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var p Plan
	if err := decodeOne(dec, &p); err != nil {
		return Plan{}, errors.Wrapf(err, "sim: load plan %s", path)
	}
	if err := compactDevices(&p.Profile); err != nil {
		return Plan{}, errors.Wrapf(err, "sim: load plan %s", path)
	}
	if err := p.Validate(); err != nil {
		return Plan{}, errors.Wrapf(err, "sim: load plan %s", path)
	}
	return p, nil
}

// decodeOne decodes the one JSON value dec holds into v: data after it
// (two profiles in one file, or a truncated edit) is an error.
func decodeOne(dec *json.Decoder, v any) error {
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.Errorf("data after the first JSON value at byte %d", dec.InputOffset())
	}
	return nil
}

// compactDevices undoes the indentation a saved file gives the devices'
// settings, so that a loaded profile equals the one saved.
func compactDevices(p *Profile) error {
	for kind, raw := range p.Devices { //detguard:unordered each entry on its own
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return errors.Wrapf(err, "device %s", kind)
		}
		p.Devices[kind] = b.Bytes()
	}
	return nil
}
