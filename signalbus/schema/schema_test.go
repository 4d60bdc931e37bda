package schema_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

func TestParseSeed(t *testing.T) {
	src, err := os.ReadFile("../../internal/seedapi/seed.qapi")
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Parse("seed.qapi", string(src))
	if err != nil {
		t.Fatal(err)
	}
	ev := s.Events()
	if len(ev) != 2 || ev[0].Name != "BlockIOEvent" || ev[1].Name != "BlockDeviceEvent" {
		t.Fatalf("events %+v", ev)
	}
	if len(s.Enums) != 3 || strings.Join(s.Enums[0].Values, ",") != "report,stop,none" {
		t.Fatalf("enums %+v", s.Enums)
	}
	acc := s.AccessorFor("BlockDeviceEvent")
	if acc == nil || acc.Name != "block-device-event" || len(acc.Args) != 1 || acc.Args[0].Name != "device" || acc.Args[0].Type != "str" {
		t.Fatalf("accessor %+v", acc)
	}
	if a := s.AccessorFor("BlockIOEvent"); a == nil || len(a.Args) != 0 {
		t.Fatalf("block-io-event accessor %+v", a)
	}
	if len(s.Commands) != 0 {
		t.Fatalf("commands %+v", s.Commands)
	}
	m := s.Type("BlockDeviceEvent").Members
	if len(m) != 3 || m[0].Name != "action" || m[0].Type != "BlockDeviceAction" {
		t.Fatalf("members %+v", m)
	}
}

func TestParseExtras(t *testing.T) {
	src := `
{ 'Point': { 'x': 'int', '*label': 'str', 'tags': ['str'] } }
{ 'MovedEvent': { 'to': 'Point' } }
[ 'moved', { 'id': 'str' }, {}, 'MovedEvent' ]
[ 'query-points', {}, {}, [ 'Point' ] ]
[ 'reset' ]
{ 'throttle': 'MovedEvent', 'period-ms': 1000, 'key': 'id', 'exempt': { 'id': [ 'urgent' ] } }
`
	s, err := schema.Parse("x", src)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Type("Point")
	if !p.Members[1].Optional || p.Members[1].Name != "label" || !p.Members[2].List {
		t.Fatalf("point %+v", p.Members)
	}
	if len(s.Commands) != 2 || s.Commands[0].Name != "query-points" || !s.Commands[0].List || s.Commands[1].Name != "reset" {
		t.Fatalf("commands %+v", s.Commands)
	}
	th := s.ThrottleFor("MovedEvent")
	if th == nil || th.PeriodMS != 1000 || th.Key != "id" || th.Exempt["id"][0] != "urgent" {
		t.Fatalf("throttle %+v", th)
	}
}

func TestErrorsHaveLineAndColumn(t *testing.T) {
	// An enum and an event with a member of each kind, for the throttle cases.
	const evs = "{ 'Act': [ 'stop', 'report' ] }\n{ 'AEvent': { 'act': 'Act', 'on': 'bool', 'n': 'int', 'tags': [ 'str' ], 's': 'str' } }\n"
	cases := []struct{ src, want string }{
		{"{ 'A': { 'x': 'str' }", "x:1:22: unexpected end of schema"},
		{"\n  { 'AEvent': { 'x': 'Nope' } }", "x:2:22: AEvent.x: unknown type \"Nope\""},
		{"{ 'E': [ 'a', 'a' ] }", "x:1:15: enum E: duplicate value \"a\""},
		{"{ 'A': {} }\n{ 'A': {} }", "x:2:3: \"A\" is already defined at 1:3"},
		{"{ 'A': 'str' }", "x:1:8: A: expecting an object (type) or a list (enum), found a string"},
		{"[ 'f', { 'x': 'str' }, {}, 'Missing' ]", "x:1:28: f: unknown return type \"Missing\""},
		{"{ 'AEvent': {} }\n[ 'a', { 'p': 'AEvent' }, {}, 'AEvent' ]", "x:2:15: a: accessor argument p must be str, int or bool"},
		{"'x'", "x:1:1: expecting an object or a list at top level, found a string"},
		{"{ 'A': { 'x': 'str' } } }", "x:1:25: unexpected '}'"},
		{"{ 'A': { 'x\n': 'str' } }", "x:1:10: newline in string"},
		{"{ 'A': { 'x\\\n': 'str' } }", "x:1:10: newline in string"}, // an escaped newline (fuzz)
		{"{ 'A': { 'ab\\q': 'str' } }", "x:1:13: unknown escape \"\\\\q\""},
		{"{ 'A': @ }", "x:1:8: unexpected '@'"},
		{"{ 'throttle': 'AEvent', 'period-ms': 0 }", "x:1:38: throttle: period-ms must be a positive number"},
		{"{ 'AEvent': {} }\n{ 'throttle': 'AEvent', 'period-ms': 5, 'key': 'k' }", "x:2:1: throttle AEvent: key \"k\" is neither"},
		{"{ 'A': { 'x': 'str', 'x': 'int' } }", "x:1:22: duplicate key \"x\""},
		{evs + "{ 'throttle': 'AEvent', 'period-ms': 5 }\n{ 'throttle': 'AEvent', 'period-ms': 9 }", "x:4:1: throttle AEvent: the event is already throttled at 3:1"},
		{evs + "{ 'period-ms': 5, 'throttle': 'AEvent', 'key': 'nope' }", "x:3:1: throttle AEvent: key \"nope\" is neither"},
		{evs + "{ 'throttle': 'AEvent', 'period-ms': 5, 'exempt': { 'act': [ 'stop', 'nope' ] } }", "x:3:1: throttle AEvent: exempt act: \"nope\" is not a value of enum Act"},
		{evs + "{ 'throttle': 'AEvent', 'period-ms': 5, 'exempt': { 'on': [ 'yes' ] } }", "x:3:1: throttle AEvent: exempt on: \"yes\" is not a bool"},
		{evs + "{ 'throttle': 'AEvent', 'period-ms': 5, 'exempt': { 'n': [ '+5' ] } }", "x:3:1: throttle AEvent: exempt n: \"+5\" is not an int"},
		{evs + "{ 'throttle': 'AEvent', 'period-ms': 5, 'exempt': { 'tags': [ 'a' ] } }", "x:3:1: throttle AEvent: exempt tags: a list member cannot be exempted by value"},
	}
	for _, c := range cases {
		_, err := schema.Parse("x", c.src)
		var se *schema.Error
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v is not a *schema.Error", c.src, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}

// TestThrottleRule: a throttle rule's keys may come in any order, and
// exempt values that a member can take are accepted.
func TestThrottleRule(t *testing.T) {
	src := `{ 'Act': [ 'stop', 'report' ] }
{ 'AEvent': { 'act': 'Act', 'on': 'bool', 'n': 'int', 's': 'str' } }
{ 'period-ms': 5, 'key': 's', 'throttle': 'AEvent',
  'exempt': { 'act': [ 'stop' ], 'on': [ 'true' ], 'n': [ '-7', '42' ], 's': [ 'any text' ] } }`
	s, err := schema.Parse("x", src)
	if err != nil {
		t.Fatal(err)
	}
	th := s.ThrottleFor("AEvent")
	if th == nil || th.PeriodMS != 5 || th.Key != "s" || len(th.Exempt) != 4 || th.Exempt["n"][1] != "42" {
		t.Fatalf("throttle %+v", th)
	}
}

// FuzzParse: any input gives a schema or a positioned error, never a panic.
func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("../../internal/seedapi/seed.qapi")
	f.Add(string(seed))
	f.Add("{ 'A': [ 'x' ] } [ 'f', {}, {}, 'A' ]")
	f.Add("{ 'throttle': 'AEvent', 'exempt': { 'a': [ 1 ] } }")
	f.Add("[[[[[[[")
	// Command options: each flag, features both ways, type-name arguments.
	f.Add("{ 'T': { 'a': 'str' } }\n[ 'f', 'T', { 'boxed': true, 'allow-oob': true, 'features': [ 'deprecated', { 'name': 'x' } ] }, 'none' ]")
	f.Add("[ 'g', {}, { 'success-response': false, 'gen': false, 'coroutine': false, 'allow-preconfig': true } ]")
	f.Add("[ 'h', {}, { 'success-response': false }, 'str' ]")
	f.Add("[ 'h', {}, { 'features': [ { 'name': 'a' }, 'a' ], 'if': 'X' } ]")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := schema.Parse("f", src)
		if err != nil {
			var se *schema.Error
			if !errors.As(err, &se) || se.Line < 1 || se.Col < 1 {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		if s == nil {
			t.Fatal("nil schema without error")
		}
		for _, c := range s.Commands {
			o := c.Options
			if o.Boxed && c.ArgsType == "" {
				t.Fatalf("%s: boxed without a type name", c.Name)
			}
			if !o.SuccessResponse && c.Returns != "" && c.Returns != "none" {
				t.Fatalf("%s: no success response, yet returns %s", c.Name, c.Returns)
			}
		}
		for _, c := range s.Accessors {
			if len(c.Options.Keys) > 0 {
				t.Fatalf("accessor %s has options %v", c.Name, c.Options.Keys)
			}
		}
	})
}
