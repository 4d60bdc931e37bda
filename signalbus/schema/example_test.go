package schema_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/actorio/actorio/signalbus/schema"
)

// ExampleParse parses a small schema in the proposal's notation: an enum,
// an event type (its name ends in Event), the function that returns that
// event and so becomes its signal accessor, a plain command, and a
// throttle rule for the event. It prints what each declaration became.
func ExampleParse() {
	const src = `
# What a block device does after an I/O error.
{ 'DiskAction': [ 'report', 'stop', 'none' ] }

# An event: its name ends in Event.
{ 'DiskErrorEvent': { 'action': 'DiskAction', '*sector': 'int' } }

# Returns the event, so it is the event's signal accessor; its argument
# filters the signal per device (and each event's data carries it, so it
# is not a member too).
[ 'disk-error-event', { 'device': 'str' }, {}, 'DiskErrorEvent' ]

# Returns no event: an ordinary command.
[ 'query-disks', {}, {}, [ 'str' ] ]

# At most one DiskErrorEvent per device per second, except 'stop'.
{ 'throttle': 'DiskErrorEvent', 'period-ms': 1000, 'key': 'device',
  'exempt': { 'action': [ 'stop' ] } }
`
	s, err := schema.Parse("disk.qapi", src)
	if err != nil {
		fmt.Println(err)
		return
	}

	for _, e := range s.Enums {
		fmt.Printf("enum %s: %s (line %d)\n", e.Name, strings.Join(e.Values, ", "), e.Pos.Line)
	}
	for _, t := range s.Events() {
		fmt.Printf("event %s (line %d)\n", t.Name, t.Pos.Line)
		for _, m := range t.Members {
			opt := ""
			if m.Optional {
				opt = " (optional)"
			}
			fmt.Printf("  %s: %s%s\n", m.Name, m.Type, opt)
		}
		if a := s.AccessorFor(t.Name); a != nil {
			var args []string
			for _, m := range a.Args {
				args = append(args, m.Name+" "+m.Type)
			}
			fmt.Printf("  accessor %s(%s)\n", a.Name, strings.Join(args, ", "))
		}
		if th := s.ThrottleFor(t.Name); th != nil {
			fmt.Printf("  throttle: every %d ms per %s\n", th.PeriodMS, th.Key)
			members := make([]string, 0, len(th.Exempt))
			for m := range th.Exempt {
				members = append(members, m)
			}
			sort.Strings(members) // Exempt is a map
			for _, m := range members {
				fmt.Printf("  exempt: %s in %s\n", m, strings.Join(th.Exempt[m], ", "))
			}
		}
	}
	for _, c := range s.Commands {
		ret := c.Returns
		if c.List {
			ret = "[" + ret + "]"
		}
		fmt.Printf("command %s returns %s\n", c.Name, ret)
	}
	// Output:
	// enum DiskAction: report, stop, none (line 3)
	// event DiskErrorEvent (line 6)
	//   action: DiskAction
	//   sector: int (optional)
	//   accessor disk-error-event(device str)
	//   throttle: every 1000 ms per device
	//   exempt: action in stop
	// command query-disks returns [str]
}

// ExampleError shows a positioned parse error: Parse returns a
// *schema.Error carrying the file name given to Parse and the 1-based
// line and column of the offending token (here the misspelled type on
// line 2), and its message reads file:line:col: message.
func ExampleError() {
	const src = `{ 'DiskAction': [ 'report', 'stop' ] }
{ 'DiskErrorEvent': { 'device': 'str', 'action': 'DiskActoin' } }
`
	_, err := schema.Parse("disk.qapi", src)

	var se *schema.Error
	if errors.As(err, &se) {
		fmt.Printf("file %s, line %d, column %d\n", se.File, se.Line, se.Col)
		fmt.Println(se.Msg)
	}
	fmt.Println(err)
	// Output:
	// file disk.qapi, line 2, column 50
	// DiskErrorEvent.action: unknown type "DiskActoin"
	// disk.qapi:2:50: DiskErrorEvent.action: unknown type "DiskActoin"
}
