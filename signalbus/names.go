package signalbus

import (
	"strings"
	"unicode"
)

// WireName turns an event type's name into its QMP event name, QEMU
// style: BlockIOEvent → BLOCK_IO_EVENT.
func WireName(name string) string { return strings.ToUpper(strings.Join(words(name), "_")) }

// AccessorName turns an event type's name into its signal accessor's
// name, QEMU command style: BlockIOEvent → block-io-event.
func AccessorName(name string) string { return strings.ToLower(strings.Join(words(name), "-")) }

// words splits a CamelCase name, keeping acronyms together: BlockIOEvent
// → Block IO Event.
func words(name string) []string {
	r := []rune(name)
	var out []string
	start := 0
	for i := 1; i < len(r); i++ {
		prev, cur := r[i-1], r[i]
		next := rune(0)
		if i+1 < len(r) {
			next = r[i+1]
		}
		boundary := unicode.IsUpper(cur) && (unicode.IsLower(prev) || unicode.IsDigit(prev) ||
			(unicode.IsUpper(prev) && unicode.IsLower(next)))
		if cur == '_' || cur == '-' {
			if i > start {
				out = append(out, string(r[start:i]))
			}
			start = i + 1
			continue
		}
		if boundary && i > start {
			out = append(out, string(r[start:i]))
			start = i
		}
	}
	if start < len(r) {
		out = append(out, string(r[start:]))
	}
	return out
}
