package main

import (
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

func TestZZProbe(t *testing.T) {
	for _, src := range []string{
		"{ 'Event': { 'x': 'str' } }\n",
		"{ 'AEvent': { 'x': 'str' } }\n[ 'a', { '*n': 'int', '*b': 'bool', 's': 'str' }, {}, 'AEvent' ]\n",
		"{ 'T': { 'ids': ['str'] } }\n{ 'AEvent': { 't': 'T', '*u': 'T', 'l': ['T'] } }\n",
		"{ 'T': { 'a': 'str' } }\n[ 'f', 'T', { 'gen': false } ]\n",
		"{ 'T': { 'a': 'str' } }\n[ 'f', 'T', {}, 'T' ]\n",
		"{ 'E': [ 'a' ] }\n[ 'f', {}, {}, ['E'] ]\n",
		"{ 'T': { 'a': 'str' } }\n{ 'AEvent': {} }\n[ 'f', 'T', {}, 'AEvent' ]\n",
		"[ 'f', {}, {}, 'any' ]\n",
		"[ 'f', {'x': 'any', '*y': 'any', 'z': ['any']}, {}, ['any'] ]\n",
		"{ 'E': [ '1', '2' ] }\n",
		"{ 'E': [ 'String' ] }\n",
		"{ 'AEvent': { 'name': 'str' } }\n",
		"{ 'T': { 'MarshalJSON': 'str' } }\n",
		"{ 'T': { 'l': ['str'], 'MarshalJSON': 'str' } }\n",
		"{ 'T': { 'l': ['str'], 'plain': 'str', 'p': 'str', 'v': 'str' } }\n",
		"{ 'plain': { 'l': ['str'] } }\n",
		"{ 'V': { 'l': ['str'] } }\n",
		"{ 'P': { 'l': ['str'] } }\n",
		"{ 'Context': { 'l': ['str'] } }\n{ 'AEvent': { 'c': 'Context' } }\n[ 'f', { 'c': 'Context' } ]\n",
		"{ 'Handle': {} }\n",
		"{ 'Time': {} }\n{ 'Json': {} }\n{ 'Errors': {} }\n",
		"{ 'E': [ 'a' ] }\n{ 'AEvent': { 'e': 'E', '*o': 'E' } }\n{ 'throttle': 'AEvent', 'period-ms': 1, 'key': 'o', 'exempt': { 'e': ['a'] } }\n",
		"{ 'AEvent': {} }\n[ 'x', {'a':'str'}, {}, 'AEvent' ]\n{ 'BEvent': {} }\n[ 'y', {'a':'str'}, {}, 'BEvent' ]\n",
		"{ 'AEvent': {} }\n[ 'x', {'s':'str','ev':'str','slot':'str','opts':'str','f':'str','h':'str','c':'str','args':'str','ctx':'str'}, {}, 'AEvent' ]\n",
		"{ 'T': { 'x': 'str' } }\n{ 'AEvent': { 'x': 'str' } }\n[ 'x', 'T', {}, 'AEvent' ]\n",
		"{ 'E': [ 'a' ] }\n{ 'ENames': {} }\n",
		"{ 'E': [ 'names' ] }\n{ 'e': {} }\n",
		"[ 'f', {}, {}, 'none' ]\n",
		"[ 'new-client' ]\n[ 'signals' ]\n",
	} {
		s, err := schema.Parse("r.qapi", src)
		if err != nil {
			t.Logf("PARSE %q: %v", src, err)
			continue
		}
		code, err := Generate(s, src, "r.qapi", "p")
		if err != nil {
			t.Logf("GEN %q: %v", src, err)
			continue
		}
		if out := typecheck(t, map[string]string{"g.go": string(code)}); out != "" {
			t.Errorf("BUILD %q:\n%s", src, out)
		}
	}
}
