package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

var (
	randomSeeds = flag.Int("signalgen.seeds", 150, "TestRandomSchemas: how many random schemas of each kind")
	randomSeed  = flag.Int64("signalgen.seed", 1, "TestRandomSchemas: the first seed")
	randomRuns  = flag.Int("signalgen.runs", 6, "TestGeneratedCodeRuns: how many random schemas to build and run")
)

// randomCase is the random schema of seed, plain or not (see randomSchema).
type randomCase struct {
	seed  int64
	plain bool
	src   string
}

func (c randomCase) String() string { return fmt.Sprintf("seed %d (plain %v)", c.seed, c.plain) }

// randomCases returns the random schemas the flags ask for, both kinds
// of each seed.
func randomCases() []randomCase {
	var out []randomCase
	for i := 0; i < 2**randomSeeds; i++ {
		c := randomCase{seed: *randomSeed + int64(i/2), plain: i%2 == 0}
		c.src = randomSchema(rand.New(rand.NewSource(c.seed)), c.plain)
		out = append(out, c)
	}
	return out
}

// generateRandom parses and generates c: it returns the code, or nil
// when Parse or Generate refused it, with the refusal (Parse refuses
// names QMP reserves, which non-plain schemas may use). It fails t when
// a refusal has no position, and when a plain schema is refused.
func generateRandom(t *testing.T, c randomCase) ([]byte, *schema.Error) {
	t.Helper()
	s, err := schema.Parse("r.qapi", c.src)
	if err == nil {
		var code []byte
		if code, err = Generate(s, c.src, "r.qapi", "p"); err == nil {
			return code, nil
		}
	}
	var se *schema.Error
	if !errors.As(err, &se) || se.Line == 0 || se.File != "r.qapi" {
		t.Fatalf("%s: refused without a position: %v\n%s", c, err, c.src)
	}
	if c.plain {
		t.Fatalf("%s: a plain schema is refused: %v\n%s", c, err, c.src)
	}
	return nil, se
}

// TestRandomSchemas: for random small valid schemas, Generate either
// refuses with a positioned schema error, or writes code that compiles
// (type-checked in process). Half the schemas draw their names from
// pools made to clash in Go (a-b and a_b, Client, PingArgs, close, 1x,
// 中文, ...) and may be refused; the other half ("plain") use names that
// cannot clash and no cycles, and must all generate. Commands have random
// options (randomOptions), which must never make a schema refused.
func TestRandomSchemas(t *testing.T) {
	refused := map[string]int{}
	generated := 0
	// Command options the generated schemas exercised: each must be.
	options := map[string]int{"'boxed': true": 0, "'success-response': false": 0, "'gen': false": 0, "'allow-oob': true": 0, "'features'": 0, "{ 'name'": 0}
	for _, c := range randomCases() {
		code, se := generateRandom(t, c)
		if se != nil {
			refused[refusal(se.Msg)]++
			continue
		}
		generated++
		for o := range options {
			if strings.Contains(c.src, o) {
				options[o]++
			}
		}
		if errs := typecheck(t, map[string]string{"gen.go": string(code)}); errs != "" {
			t.Errorf("%s: generated code does not compile:\n%s\nschema:\n%s", c, errs, c.src)
		}
	}
	t.Logf("%d schemas generated, refused: %v; with options: %v", generated, refused, options)
	for o, n := range options {
		if n == 0 && *randomSeeds >= 50 {
			t.Errorf("no generated schema has the option %s", o)
		}
	}
}

// refusal names the kind of a refusal, for the log.
func refusal(msg string) string {
	for _, k := range []string{"over QMP", "both become", "which signalgen declares", "cannot be part of a Go name", "declared twice", "contain itself", "builtin type name", "option", "signal accessor", "QMP event", "throttle"} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	return msg
}

// randomSchema writes a small valid schema: enums, types, events (some
// with accessors and throttles) and commands. plain schemas have names
// that cannot clash in Go and types that only use earlier types.
func randomSchema(rng *rand.Rand, plain bool) string {
	pick := func(xs []string) string { return xs[rng.Intn(len(xs))] }
	var (
		typeNames    = []string{"Point", "point", "T", "a-b", "a_b", "AB", "Client", "Signals", "Schema", "NewClient", "PingArgs", "Node", "x1", "1x", "X1x", "中文", "Élan", "Int", "Error", "ParseColor", "ColorRed", "colorNames", "Args", "go-name", "GoName"}
		enumNames    = []string{"Color", "color", "Kind", "a-b", "E", "EA", "Mode", "Ab"}
		enumValues   = []string{"a", "b", "red", "a-b", "a_b", "1", "x", "none", "string", "-", "é", "stop", "b-c", "A"}
		memberNames  = []string{"a", "b", "x", "y", "a-b", "a_b", "AB", "signal-member", "x-signal-member", "marshal-j-s-o-n", "type", "string", "ctx", "tag", "data", "e", "len", "1st", "中", "name", "-", "a b", "x.y"}
		eventNames   = []string{"BlockEvent", "ABlockEvent", "A-BlockEvent", "A_BlockEvent", "AbEvent", "ABEvent", "TickEvent", "Event", "XEvent", "Disk-ErrorEvent", "disk_errorEvent", "DiskErrorEvent"}
		commandNames = []string{"ping", "close", "client", "execute", "connect", "greeting", "on-event", "close-command", "a-b", "a_b", "query-x", "ab", "block-event-connect", "reset", "tick-event", "disk-error-event"}
		argNames     = []string{"device", "ctx", "ctx-arg", "a-b", "a_b", "string", "id", "lane", "args", "slot", "f", "h", "Id", "tag", "x"}
	)
	if plain {
		typeNames = []string{"Point", "Node", "Pair", "Box", "Line"}
		enumNames = []string{"Color", "Mode", "Kind"}
		enumValues = []string{"red", "green", "blue-ish", "off_on", "x"}
		memberNames = []string{"a", "b", "c-d", "e_f", "count", "label"}
		eventNames = []string{"TickEvent", "DiskErrorEvent", "MovedEvent"}
		commandNames = []string{"ping", "query-points", "reset", "set-mode"}
		argNames = []string{"device", "id", "lane"}
	}
	used := map[string]bool{} // top-level names
	fresh := func(pool []string) string {
		for range 20 {
			if n := pick(pool); !used[n] {
				used[n] = true
				return n
			}
		}
		return ""
	}
	var b strings.Builder
	var named []string // enums and types a member may use
	for range rng.Intn(3) {
		n := fresh(enumNames)
		if n == "" {
			continue
		}
		vals := map[string]bool{}
		var vs []string
		for range 1 + rng.Intn(3) {
			if v := pick(enumValues); !vals[v] {
				vals[v] = true
				vs = append(vs, "'"+v+"'")
			}
		}
		fmt.Fprintf(&b, "{ '%s': [ %s ] }\n", n, strings.Join(vs, ", "))
		named = append(named, n)
	}
	// Types and events are named first, so that (unless plain) members
	// may refer to types declared later, or to their own type.
	var types, events []string
	for range rng.Intn(4) {
		if n := fresh(typeNames); n != "" {
			types = append(types, n)
		}
	}
	for range rng.Intn(4) {
		if n := fresh(eventNames); n != "" {
			events = append(events, n)
		}
	}
	memberType := func(avail []string) string {
		builtins := []string{"str", "int", "bool", "number", "any"}
		t := pick(builtins)
		if len(avail) > 0 && rng.Intn(2) == 0 {
			t = pick(avail)
		}
		if rng.Intn(4) == 0 {
			return "[ '" + t + "' ]"
		}
		return "'" + t + "'"
	}
	members := func(names []string, avail []string, max int) (string, []string) {
		seen := map[string]bool{}
		var parts, got []string
		for range rng.Intn(max + 1) {
			base := pick(names)
			n := base
			if rng.Intn(4) == 0 {
				n = "*" + n
			}
			if seen[n] || (plain && seen[base]) { // 'x' and '*x' clash: not in plain schemas
				continue
			}
			seen[n], seen[base] = true, true
			parts = append(parts, fmt.Sprintf("'%s': %s", n, memberType(avail)))
			got = append(got, n)
		}
		return "{ " + strings.Join(parts, ", ") + " }", got
	}
	all := append(append(append([]string(nil), named...), types...), events...)
	keys := map[string][]string{} // event → its required members that may key a throttle
	for i, n := range append(append([]string(nil), types...), events...) {
		avail := all
		if plain { // only what is declared before: no cycles
			avail = append(append([]string(nil), named...), types[:min(i, len(types))]...)
		}
		body, ms := members(memberNames, avail, 4)
		fmt.Fprintf(&b, "{ '%s': %s }\n", n, body)
		for _, m := range ms {
			// Plain schemas key throttles on str members only.
			if (!plain || strings.Contains(body, "'"+m+"': 'str'")) && !strings.HasPrefix(m, "*") {
				keys[n] = append(keys[n], m)
			}
		}
	}
	for _, e := range events {
		if rng.Intn(2) == 0 {
			continue
		}
		n := fresh(commandNames)
		if n == "" {
			continue
		}
		seen := map[string]bool{}
		var args []string
		for range rng.Intn(3) {
			a := pick(argNames)
			if seen[a] {
				continue
			}
			seen[a] = true
			if rng.Intn(3) == 0 {
				a = "*" + a
			}
			args = append(args, fmt.Sprintf("'%s': '%s'", a, pick([]string{"str", "int", "bool"})))
		}
		fmt.Fprintf(&b, "[ '%s', { %s }, {}, '%s' ]\n", n, strings.Join(args, ", "), e)
	}
	for _, e := range events {
		if ks := keys[e]; len(ks) > 0 && rng.Intn(2) == 0 {
			fmt.Fprintf(&b, "{ 'throttle': '%s', 'period-ms': %d, 'key': '%s' }\n", e, 100+rng.Intn(1000), pick(ks))
		}
	}
	returnable := append(append([]string{"str", "int", "bool", "number", "any"}, named...), types...)
	for range rng.Intn(4) {
		n := fresh(commandNames)
		if n == "" {
			continue
		}
		args, _ := members(memberNames, append(append([]string(nil), named...), types...), 3)
		if len(types) > 0 && rng.Intn(4) == 0 {
			args = "'" + pick(types) + "'" // arguments named as a type
		}
		kind := rng.Intn(4)
		opts := randomOptions(rng, strings.HasPrefix(args, "'"), kind < 2)
		switch kind {
		case 0:
			if opts == "{}" && !strings.HasPrefix(args, "'") {
				fmt.Fprintf(&b, "[ '%s' ]\n", n)
			} else {
				fmt.Fprintf(&b, "[ '%s', %s, %s ]\n", n, args, opts)
			}
		case 1:
			fmt.Fprintf(&b, "[ '%s', %s, %s, 'none' ]\n", n, args, opts)
		case 2:
			fmt.Fprintf(&b, "[ '%s', %s, %s, [ '%s' ] ]\n", n, args, opts, pick(returnable))
		default:
			fmt.Fprintf(&b, "[ '%s', %s, %s, '%s' ]\n", n, args, opts, pick(returnable))
		}
	}
	return b.String()
}

// randomOptions writes a command's options: each flag now and then, true
// or false, and features as names or objects. boxed is only set when the
// arguments are a type name (typeArgs), success-response: false only
// when the command returns nothing (noReturn), as the schema requires.
func randomOptions(rng *rand.Rand, typeArgs, noReturn bool) string {
	var parts []string
	flag := func(name string) {
		if rng.Intn(5) == 0 {
			parts = append(parts, fmt.Sprintf("'%s': %v", name, rng.Intn(2) == 0))
		}
	}
	flag("allow-oob")
	flag("allow-preconfig")
	flag("coroutine")
	flag("gen")
	if noReturn {
		flag("success-response")
	}
	if typeArgs {
		flag("boxed")
	}
	if rng.Intn(5) == 0 {
		var fs []string
		for _, f := range []string{"deprecated", "unstable", "x-odd"} {
			switch rng.Intn(3) {
			case 0:
				fs = append(fs, "'"+f+"'")
			case 1:
				fs = append(fs, "{ 'name': '"+f+"' }")
			}
		}
		parts = append(parts, "'features': [ "+strings.Join(fs, ", ")+" ]")
	}
	rng.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	if len(parts) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}
