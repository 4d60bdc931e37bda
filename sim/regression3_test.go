package sim_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/actorio/actorio/sim"
)

// TestValidateRefusesNaN: Profile.Validate refuses a NaN (or infinite)
// probability as the devices' validators do, naming the field; the
// device validators name the one field that is wrong.
// Found in review: Profile.Validate tested v < 0 || v > 1, which a NaN
// passes, while the devices' validators tested !(v >= 0 && v <= 1),
// which refuses it: a profile built in Go with a NaN drop rate ran.
func TestValidateRefusesNaN(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for field, p := range map[string]sim.Profile{
		"net.drop":           {Net: sim.NetFaults{Drop: nan}},
		"net.duplicate":      {Net: sim.NetFaults{Duplicate: nan}},
		"net.reorder":        {Net: sim.NetFaults{Reorder: inf}},
		"partitions.one_way": {Partitions: &sim.PartitionFaults{Every: ms(1), OneWay: nan}},
		"clogs.node":         {Clogs: &sim.ClogFaults{Every: ms(1), Node: nan}},
		"panics.rate":        {Panics: &sim.PanicFaults{Rate: nan}},
		"buggify.activate":   {Buggify: &sim.BuggifyFaults{Activate: nan}},
		"buggify.fire":       {Buggify: &sim.BuggifyFaults{Fire: math.Inf(-1)}},
	} {
		p.Name, p.FaultTime = "nan", ms(100)
		err := p.Validate()
		if !errors.Is(err, sim.ErrInvalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate = %v, want an ErrInvalid naming %s", field, err, field)
		}
	}
	for field, devices := range map[string]string{
		"short_write": `{"file":{"short_read":0.5,"short_write":1.5}}`,
		"short_read":  `{"file":{"short_read":-0.5}}`,
		"clog_max":    `{"socket":{"clog_rate":1,"clog_max":"-1ms"}}`,
		"clog_rate":   `{"socket":{"clog_rate":-1}}`,
	} {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(devices), &raw); err != nil {
			t.Fatal(err)
		}
		p := sim.Profile{Name: "dev", FaultTime: ms(100), Devices: raw}
		err := p.Validate()
		if !errors.Is(err, sim.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", field, err)
			continue
		}
		// The message names the wrong field, and only it.
		for _, other := range []string{"short_read", "short_write", "clog_max", "clog_rate", "partition_rate", "partition_max"} {
			if named := strings.Contains(err.Error(), other); named != (other == field) {
				t.Errorf("%s: Validate = %v: names %s: %v", field, err, other, named)
			}
		}
	}
}
