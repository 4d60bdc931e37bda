package qmp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

func fuzzRegistry() *Registry {
	r := NewRegistry(nil)
	noop := func() Handler {
		return func(_ ctxT, _ *Conn, _ *Call) (any, error) { return nil, nil }
	}
	_ = r.Add(&Command{Name: "qmp_capabilities", Negotiation: true, OnlyNegotiation: true, Handler: noop()})
	_ = r.Add(&Command{Name: "x-connect", Args: argsOf("device:str", "*n:int", "*b:bool", "*l:[str]"), Handler: noop()})
	return r
}

// FuzzInput: any input line gives exactly one of a well-formed error line
// (one ASCII JSON object ending in CRLF) or a checked Call; never a panic.
// The seed corpus runs as a regular test.
func FuzzInput(f *testing.F) {
	for _, s := range []string{
		`{"execute": "qmp_capabilities"}`, `{"execute": "x-connect", "arguments": {"device": "a"}, "id": [1]}`,
		`{'execute': 'x-connect', 'arguments': {'device': 'it\'s'}}`, `garbage`, `[1]`, `{"execute": 5}`,
		`{"execute": "x-connect", "arguments": {"device": "a", "n": 1.5, "l": ["x", 2]}}`, `{"id": "\u00e9"}`,
		"{\"execute\": \"x\x01\"}", `{"execute":"x-connect","arguments":{"device":"a","b":true},"id":null}`, `{`, `"`, `{"a":`,
		`{"execute": 5, "id": -1e999}`, `{"execute": "x-connect", "arguments": {"device": "\u0000<&>", "n": 1e3}}`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, negotiated bool) {
		m := NewMachine(fuzzRegistry(), 4096)
		if negotiated {
			m.mode = Commands
		}
		reply, call := m.Input([]byte(in))
		if (reply == nil) == (call == nil) {
			t.Fatalf("reply %q and call %+v", reply, call)
		}
		if reply != nil {
			s := string(reply)
			if !strings.HasSuffix(s, "\r\n") || strings.Count(s, "\n") != 1 {
				t.Fatalf("bad framing %q", s)
			}
			for _, c := range reply {
				if c >= 0x80 {
					t.Fatalf("non-ASCII output %q", s)
				}
			}
			var v map[string]any
			err := json.Unmarshal(reply, &v)
			if err != nil && strings.Contains(s, "inf") {
				// QEMU writes an infinite number (an id of 1e999) as inf,
				// which is not JSON; so do we.
				err = json.Unmarshal([]byte(strings.ReplaceAll(s, "inf", "0")), &v)
			}
			if err != nil || v["error"] == nil {
				t.Fatalf("bad error line %q: %v", s, err)
			}
			return
		}
		if !json.Valid(call.Args) || call.Command == nil {
			t.Fatalf("bad call %+v", call)
		}
	})
}

// FuzzFrame: any byte stream splits into values without a panic, each
// value within the limit or reported too long.
func FuzzFrame(f *testing.F) {
	f.Add([]byte("{\"a\": 1}\n{'b': '}'}  42 [1,[2]]\x01{}"), 16)
	f.Add([]byte("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1}{}"), 8)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max < 1 || max > 1<<16 {
			max = 64
		}
		out, _ := runFrame(NewFrame(max), in)
		for _, v := range out {
			if !strings.HasPrefix(v, "TOOLONG:") && len(v) > max+1 {
				t.Fatalf("value of %d bytes over the limit %d", len(v), max)
			}
		}
	})
}

type ctxT = context.Context

func argsOf(specs ...string) []*schema.Member {
	var out []*schema.Member
	for _, s := range specs {
		name, typ, _ := strings.Cut(s, ":")
		m := &schema.Member{Name: strings.TrimPrefix(name, "*"), Type: strings.Trim(typ, "[]"), Optional: strings.HasPrefix(name, "*"), List: strings.HasPrefix(typ, "[")}
		out = append(out, m)
	}
	return out
}

// FuzzMessageReparse: every message the streaming parser makes, parsed
// again alone from the bytes the Frame hands on (as Machine.Input does),
// gives the same value or error.
func FuzzMessageReparse(f *testing.F) {
	for _, s := range []string{
		"{\"a\": 1}\n{'b': '}'}  42 [1,[2]]\x01{}", "12}{{]garbage gArbage 0x10 -x 1.e5 \"\\u12\"",
		"{\"a\": [1 2}]] tru true{} [{]\xff{\"execute\": \"a\xc0\x80\"}", "@,:{\"a\"}{1: 2}\"\\ud83d\\ude00\"",
	} {
		f.Add([]byte(s))
	}
	render := func(m message) string {
		if m.val != nil {
			return "value " + string(appendQObj(nil, m.val))
		}
		return "error " + m.err
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var s scanner
		for _, c := range in {
			s.feed(c)
		}
		for _, m := range s.out {
			if got, want := render(parseMessage(m.raw)), render(m); got != want {
				t.Fatalf("message %q of %q: parsed alone %s, streamed %s", m.raw, in, got, want)
			}
		}
	})
}
