package streamactor

import (
	"strings"

	"github.com/pkg/errors"
)

// StreamFlags are the flags of New (libvirt's virStreamFlags).
type StreamFlags uint32

// StreamNonBlock is VIR_STREAM_NONBLOCK: calls that cannot move data at
// once return ErrWouldBlock instead of waiting.
const StreamNonBlock StreamFlags = 1

// RecvFlag is a flag of RecvFlags (libvirt's virStreamRecvFlagsValues).
type RecvFlag uint32

// RecvStopAtHole is VIR_STREAM_RECV_STOP_AT_HOLE: stop at a hole and
// return ErrHole (the -3) instead of reading the hole as zeros.
const RecvStopAtHole RecvFlag = 1

// Event is a set of stream events (libvirt's virStreamEventType).
type Event uint32

// The stream events; the values are libvirt's.
const (
	// EventReadable: the next non-blocking Recv will not return
	// ErrWouldBlock (data, a hole, the end of the stream or an error is
	// waiting).
	EventReadable Event = 1
	// EventWritable: the next non-blocking Send will not return
	// ErrWouldBlock (the peer granted credit).
	EventWritable Event = 2
	// EventError: an error is latched on the stream, or it was aborted.
	EventError Event = 4
	// EventHangup: the other end will send nothing more (it finished
	// sending, or it aborted).
	EventHangup Event = 8
)

const allEvents = EventReadable | EventWritable | EventError | EventHangup

// String names the events, as "READABLE|HANGUP".
func (e Event) String() string {
	if e == 0 {
		return "0"
	}
	var parts []string
	for _, x := range []struct {
		bit  Event
		name string
	}{{EventReadable, "READABLE"}, {EventWritable, "WRITABLE"}, {EventError, "ERROR"}, {EventHangup, "HANGUP"}} {
		if e&x.bit != 0 {
			parts = append(parts, x.name)
		}
	}
	if rest := e &^ allEvents; rest != 0 {
		parts = append(parts, "0x"+strings.ToUpper(uintHex(uint64(rest))))
	}
	return strings.Join(parts, "|")
}

func uintHex(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0"
	}
	var b [16]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b[i:])
}

// Sizes.
const (
	// SegmentOverhead is what one segment costs in a window besides its
	// data buffer: the bookkeeping of a queued segment. A hole costs
	// exactly this, whatever its length, so holes take credit too and a
	// stalled consumer cannot make a stream hold unbounded holes.
	SegmentOverhead = 64
	// DefaultMaxSegment is the largest data segment (256 KiB, libvirt's
	// server chunk rounded to a power of two).
	DefaultMaxSegment = 256 << 10
	// DefaultWindow is the default window: four full segments.
	DefaultWindow = 4 * (DefaultMaxSegment + SegmentOverhead)
	// MinSegmentClass is the smallest data buffer; smaller sends still
	// cost this much.
	MinSegmentClass = 512
	// MaxSegmentLimit bounds MaxSegment (a remote transport must carry a
	// segment in one message).
	MaxSegmentLimit = 16 << 20
	// MaxWindowLimit bounds Window (1 PiB, far beyond any memory), so
	// that the cumulative credit, the bytes consumed plus the window,
	// never overflows an int64.
	MaxWindowLimit = 1 << 50
)

// Config is a stream's configuration, built by New's options.
type Config struct {
	// NonBlock: calls return ErrWouldBlock instead of waiting.
	NonBlock bool
	// Sparse: holes may be sent and received (SendHole, RecvHole,
	// RecvStopAtHole). Fixed for the stream's life, as libvirt fixes it
	// when the stream is opened.
	Sparse bool
	// Window is the receiver's buffer in cost units (data bytes rounded
	// up to a power of two, plus SegmentOverhead per segment). The
	// receiving end never holds more, in flight included.
	Window int64
	// MaxSegment is the largest data segment the sending end emits.
	MaxSegment int

	// slack is extra credit a receiving end grants beyond Window: always
	// 0, except under the CanaryWindowOffByOne planted bug.
	slack int64
}

// CanaryWindowOffByOne is the planted bug that makes a receiving end
// grant one maximum segment more credit than its window (the classic
// "<=" for "<"), so that a stalled consumer's end holds more than its
// window. Only a simulation run with this canary turns it on (see actors'
// System.Canary); the stream checker's invariant S30 catches it.
const CanaryWindowOffByOne = "streamactor/window-off-by-one"

// Option configures New.
//
// Options apply in order. The flag options (NonBlock, Sparse, Flags) only
// ever turn a flag on, so their order does not matter: Flags(0) after
// NonBlock() leaves the stream non-blocking. The value options (Window,
// MaxSegment) each set one value and the last one given wins; leaving
// one out means its default. Every value given is checked: one out of
// range is ErrBadOption naming the option and the value, never taken as
// "the default".
type Option func(*Config) error

// NonBlock makes the stream non-blocking (VIR_STREAM_NONBLOCK).
func NonBlock() Option { return func(c *Config) error { c.NonBlock = true; return nil } }

// Sparse allows holes on the stream (libvirt's *_SPARSE_STREAM flags).
func Sparse() Option { return func(c *Config) error { c.Sparse = true; return nil } }

// Flags applies libvirt-style flags: each bit set turns its flag on (a
// clear bit turns nothing off). Unknown bits are ErrBadFlags.
func Flags(f StreamFlags) Option {
	return func(c *Config) error {
		if f&^StreamNonBlock != 0 {
			return errors.Wrapf(ErrBadFlags, "new: flags %#x (known: %#x)", uint32(f), uint32(StreamNonBlock))
		}
		if f&StreamNonBlock != 0 {
			c.NonBlock = true
		}
		return nil
	}
}

// Window sets the receive window in cost units (see Config.Window). It
// must hold at least one full segment, and be at most MaxWindowLimit;
// zero or a negative window is ErrBadOption (leave Window out for the
// default, DefaultWindow with the default MaxSegment: four full
// segments).
func Window(n int64) Option {
	return func(c *Config) error {
		if n <= 0 {
			return errors.Wrapf(ErrBadOption, "window %d: must be positive (leave Window out for the default)", n)
		}
		if n > MaxWindowLimit {
			return errors.Wrapf(ErrBadOption, "window %d: must be at most %d", n, int64(MaxWindowLimit))
		}
		c.Window = n
		return nil
	}
}

// MaxSegment sets the largest data segment, between MinSegmentClass and
// MaxSegmentLimit bytes; another value is ErrBadOption (leave MaxSegment
// out for DefaultMaxSegment).
func MaxSegment(n int) Option {
	return func(c *Config) error {
		if n < MinSegmentClass || n > MaxSegmentLimit {
			return errors.Wrapf(ErrBadOption, "max segment %d: must be within [%d, %d]", n, MinSegmentClass, MaxSegmentLimit)
		}
		c.MaxSegment = n
		return nil
	}
}

// NewConfig applies opts to the defaults and validates the result. A
// zero Window or MaxSegment left by the options means the default.
func NewConfig(opts ...Option) (Config, error) {
	var c Config
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return Config{}, err
		}
	}
	if c.MaxSegment == 0 {
		c.MaxSegment = DefaultMaxSegment
	}
	if c.MaxSegment < MinSegmentClass || c.MaxSegment > MaxSegmentLimit {
		return Config{}, errors.Wrapf(ErrBadOption, "max segment %d: must be within [%d, %d]", c.MaxSegment, MinSegmentClass, MaxSegmentLimit)
	}
	if c.Window == 0 {
		c.Window = 4 * segmentCost(c.MaxSegment)
	}
	if min := segmentCost(c.MaxSegment); c.Window < min {
		return Config{}, errors.Wrapf(ErrBadOption, "window %d: must hold one full segment (%d)", c.Window, min)
	}
	if c.Window > MaxWindowLimit {
		return Config{}, errors.Wrapf(ErrBadOption, "window %d: must be at most %d", c.Window, int64(MaxWindowLimit))
	}
	return c, nil
}
