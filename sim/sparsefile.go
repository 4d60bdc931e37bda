package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
)

// SparseFile is a simulated file with holes, for streamactor's file
// drivers: it implements streamactor.File and streamactor.Runner. Data is
// kept per block (BlockSize bytes, 4 KiB by default), so SEEK_DATA and
// SEEK_HOLE see holes at block granularity, as a real file system does.
// Operations run on the simulation loop after a random delay (up to
// Faults.MaxLatency), one at a time in order. Everything random comes
// from the World's stream "file/<name>", and every injected fault is
// noted in the World's fingerprint.
//
// A write is volatile until Sync: Crash loses what was written (and
// truncated or punched) since the last successful Sync.
type SparseFile struct {
	w      *World
	name   string
	rng    *rand.Rand
	bs     int64
	faults FileFaults

	blocks map[int64][]byte // block index → BlockSize bytes
	index  []int64          // sorted block indices
	size   int64
	closed bool

	durable     map[int64][]byte // at the last Sync
	durableSize int64

	queue   []func()
	running bool
	next    *vtimer // the pending step of the queue, while running

	// Counters, for checkers.
	Reads, Writes, Syncs, Injected int
}

// FileFaults are a SparseFile's fault knobs. The zero value is a
// faultless file with no delay.
type FileFaults struct {
	// ReadEIO and WriteEIO: a read (write) that covers one of these
	// offsets fails with EIO (once per offset: the fault is then spent).
	ReadEIO, WriteEIO []int64
	// ShortRead and ShortWrite: the probability that a read (write)
	// moves fewer bytes than asked (at least one).
	ShortRead, ShortWrite float64
	// Capacity, if > 0, is how many bytes of blocks the file may hold; a
	// write needing more fails with ENOSPC after what fits.
	Capacity int64
	// FailSyncs: how many of the next Syncs fail with EIO (the writes
	// stay volatile).
	FailSyncs int
	// NoSparse: the file system has no SEEK_DATA/SEEK_HOLE and cannot
	// punch holes (streamactor.ErrNoSparseInfo).
	NoSparse bool
	// MaxLatency bounds the random delay of each operation.
	MaxLatency time.Duration
	// BlockSize is the allocation unit (default 4096).
	BlockSize int64
}

// NewSparseFile returns an empty simulated file called name in w.
func NewSparseFile(w *World, name string, faults FileFaults) *SparseFile {
	f := &SparseFile{
		w: w, name: name, rng: w.Rand("file/" + name),
		blocks: map[int64][]byte{}, durable: map[int64][]byte{},
	}
	var pf FileProfile
	if on, err := w.DeviceFaults("file", &pf); err != nil {
		w.fail(err)
	} else if on {
		// The profile adds faults a correct client must absorb without a
		// different outcome; erroring ones (EIO, ENOSPC, failing syncs)
		// are the scenario's to declare, since its checker must expect
		// them.
		faults.ShortRead = max(faults.ShortRead, pf.ShortRead)
		faults.ShortWrite = max(faults.ShortWrite, pf.ShortWrite)
		faults.MaxLatency = max(faults.MaxLatency, pf.MaxLatency.D())
	}
	f.SetFaults(faults)
	w.OnHeal(func() {
		f.faults.ShortRead, f.faults.ShortWrite = 0, 0
	})
	return f
}

// FileProfile is the simulated files' section of a fault profile (device
// kind "file"): short reads and writes, and slow operations.
type FileProfile struct {
	ShortRead  float64  `json:"short_read,omitempty"`
	ShortWrite float64  `json:"short_write,omitempty"`
	MaxLatency Duration `json:"max_latency,omitempty"`
}

func init() {
	RegisterDevice("file", func(rng *rand.Rand) json.RawMessage {
		if rng.Float64() < 0.5 {
			return nil
		}
		var p FileProfile
		if rng.Float64() < 0.5 {
			p.ShortRead = rng.Float64() * 0.3
		}
		if rng.Float64() < 0.5 {
			p.ShortWrite = rng.Float64() * 0.3
		}
		if rng.Float64() < 0.5 {
			p.MaxLatency = Duration(time.Duration(rng.Int64N(int64(time.Millisecond))))
		}
		raw, _ := json.Marshal(p)
		return raw
	}, func(raw json.RawMessage) error {
		var p FileProfile
		if err := decodeDevice(raw, &p); err != nil {
			return err
		}
		return firstErr(checkProb("short_read", p.ShortRead), checkProb("short_write", p.ShortWrite),
			checkDuration("max_latency", p.MaxLatency))
	})
}

// OwnedBy ties the file to node: when that node crashes the file loses
// its unsynced writes (Crash), as the page cache of a killed machine
// would, and the operations its actors queued and that had not run yet
// vanish with them; the file is closed until the node's boot code
// reopens it (Reopen).
func (f *SparseFile) OwnedBy(node string) {
	f.w.OnCrash(func(crashed string) {
		if crashed == node {
			f.dropQueue()
			f.Crash()
			f.closed = true
		}
	})
}

// dropQueue forgets the operations not run yet and stops the pending
// step, so that the next Run starts the queue afresh.
func (f *SparseFile) dropQueue() {
	if f.next != nil {
		f.next.Stop()
		f.next = nil
	}
	if n := len(f.queue); n > 0 {
		f.fault(fmt.Sprintf("crash: %d queued operations lost", n))
	}
	clear(f.queue)
	f.queue = f.queue[:0]
	f.running = false
}

// SetFaults replaces the fault knobs (a swarm profile sets them per seed).
func (f *SparseFile) SetFaults(faults FileFaults) {
	if faults.BlockSize <= 0 {
		faults.BlockSize = 4096
	}
	if f.bs == 0 {
		f.bs = faults.BlockSize
	}
	faults.ReadEIO = append([]int64(nil), faults.ReadEIO...)
	faults.WriteEIO = append([]int64(nil), faults.WriteEIO...)
	f.faults = faults
}

// Faults returns the current knobs.
func (f *SparseFile) Faults() FileFaults { return f.faults }

// InjectReadEIO makes the next read covering off fail with EIO.
func (f *SparseFile) InjectReadEIO(off int64) { f.faults.ReadEIO = append(f.faults.ReadEIO, off) }

// InjectWriteEIO makes the next write covering off fail with EIO.
func (f *SparseFile) InjectWriteEIO(off int64) { f.faults.WriteEIO = append(f.faults.WriteEIO, off) }

// SetCapacity limits the bytes of blocks the file may hold (0: no limit).
func (f *SparseFile) SetCapacity(n int64) { f.faults.Capacity = n }

// FailNextSyncs makes the next n Syncs fail with EIO.
func (f *SparseFile) FailNextSyncs(n int) { f.faults.FailSyncs = n }

// Name returns the file's name.
func (f *SparseFile) Name() string { return f.name }

// BlockSize returns the allocation unit.
func (f *SparseFile) BlockSize() int64 { return f.bs }

// Crash loses everything not synced: the file goes back to its state at
// the last successful Sync (and is open again).
func (f *SparseFile) Crash() {
	f.fault("crash: lose unsynced writes")
	f.blocks = map[int64][]byte{}
	f.index = f.index[:0]
	for _, b := range sortedBlockKeys(f.durable) {
		f.blocks[b] = append([]byte(nil), f.durable[b]...)
		f.index = append(f.index, b)
	}
	f.size = f.durableSize
	f.closed = false
}

// Reopen makes a closed file usable again (a new open of the same file).
func (f *SparseFile) Reopen() { f.closed = false }

// Allocated returns the bytes held in blocks (st_blocks × 512 on disk).
func (f *SparseFile) Allocated() int64 { return int64(len(f.blocks)) * f.bs }

// DataRanges returns the data sections, block-aligned and clipped to the
// size, in order: what SEEK_DATA/SEEK_HOLE would walk.
func (f *SparseFile) DataRanges() [][2]int64 {
	var out [][2]int64
	for _, b := range f.index {
		lo, hi := b*f.bs, min((b+1)*f.bs, f.size)
		if lo >= hi {
			continue
		}
		if n := len(out); n > 0 && out[n-1][1] == lo {
			out[n-1][1] = hi
		} else {
			out = append(out, [2]int64{lo, hi})
		}
	}
	return out
}

func (f *SparseFile) fault(what string) {
	f.Injected++
	f.w.Note(fmt.Sprintf("file %s: %s", f.name, what))
}

// Run implements streamactor.Runner: op runs on the simulation loop after
// a random delay, after every operation given before it.
//
// The queue's timers belong to the file, not to the actor that called
// Run: a crash of the caller's node must not stop the queue (a timer of
// a crashed node never fires, and the queue would wait for it forever).
// What a crash does to the operations themselves is the owner's business
// (OwnedBy).
func (f *SparseFile) Run(op func()) {
	f.queue = append(f.queue, op)
	if !f.running {
		f.running = true
		f.schedule()
	}
}

// schedule sets the device timer of the queue's next step.
func (f *SparseFile) schedule() {
	if !f.w.onLoop() {
		f.w.escaped("SparseFile.Run", f.name)
		return
	}
	f.next = f.w.clock.afterFunc(f.latency(), nil, f.step)
}

// Stop implements streamactor.Runner; operations already given still run.
func (f *SparseFile) Stop() {}

func (f *SparseFile) step() {
	f.next = nil
	op := f.queue[0]
	f.queue[0] = nil
	f.queue = f.queue[1:]
	op()
	if f.next != nil || !f.running {
		return // op dropped the queue (a crash), and maybe a later Run restarted it
	}
	if len(f.queue) > 0 {
		f.schedule()
	} else {
		f.running = false
	}
}

func (f *SparseFile) latency() time.Duration {
	if f.faults.MaxLatency <= 0 {
		return 0
	}
	return time.Duration(f.rng.Int64N(int64(f.faults.MaxLatency) + 1))
}

func (f *SparseFile) pathErr(op string, err error) error {
	return &os.PathError{Op: op, Path: f.name, Err: err}
}

// hitEIO reports (and spends) an EIO fault in [off, off+n).
func (f *SparseFile) hitEIO(list *[]int64, off, n int64, op string) bool {
	for i, x := range *list {
		if x >= off && x < off+n {
			*list = append((*list)[:i], (*list)[i+1:]...)
			f.fault(fmt.Sprintf("EIO on %s of %d at %d (fault at %d)", op, n, off, x))
			return true
		}
	}
	return false
}

// short draws a short count for an operation of n bytes. Whether it is
// short is decided through World.Decide (recorded, replayable, shrinkable).
func (f *SparseFile) short(p float64, n int, op string, off int64) int {
	if n <= 1 || !f.w.Decide("file/short-"+op, f.name, p) {
		return n
	}
	k := 1 + f.rng.IntN(n-1)
	f.fault(fmt.Sprintf("short %s at %d: %d of %d", op, off, k, n))
	return k
}

// Peek copies the file's current content at off into p, whatever its
// faults, without latency and without counting as an operation: it is for
// checkers, which must see what is really there. It returns how many
// bytes lie within the file.
func (f *SparseFile) Peek(p []byte, off int64) int {
	if off < 0 || off >= f.size {
		return 0
	}
	n := int(min(int64(len(p)), f.size-off))
	for i := 0; i < n; {
		b, in := (off+int64(i))/f.bs, (off+int64(i))%f.bs
		k := int(min(int64(n-i), f.bs-in))
		if blk, ok := f.blocks[b]; ok {
			copy(p[i:i+k], blk[in:])
		} else {
			clear(p[i : i+k])
		}
		i += k
	}
	return n
}

// ReadAt implements streamactor.File (pread: possibly short).
func (f *SparseFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, f.pathErr("read", os.ErrClosed)
	}
	if off < 0 {
		return 0, f.pathErr("read", syscall.EINVAL)
	}
	f.Reads++
	if off >= f.size || len(p) == 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), f.size-off))
	if f.hitEIO(&f.faults.ReadEIO, off, int64(n), "read") {
		return 0, f.pathErr("read", syscall.EIO)
	}
	n = f.short(f.faults.ShortRead, n, "read", off)
	return f.Peek(p[:n], off), nil
}

// WriteAt implements streamactor.File (pwrite: possibly short).
func (f *SparseFile) WriteAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, f.pathErr("write", os.ErrClosed)
	}
	if off < 0 {
		return 0, f.pathErr("write", syscall.EINVAL)
	}
	f.Writes++
	if len(p) == 0 {
		return 0, nil
	}
	if off > math.MaxInt64-int64(len(p)) {
		return 0, f.pathErr("write", syscall.EFBIG)
	}
	if f.hitEIO(&f.faults.WriteEIO, off, int64(len(p)), "write") {
		return 0, f.pathErr("write", syscall.EIO)
	}
	n := f.short(f.faults.ShortWrite, len(p), "write", off)
	for i := 0; i < n; {
		b, in := (off+int64(i))/f.bs, (off+int64(i))%f.bs
		k := int(min(int64(n-i), f.bs-in))
		blk, ok := f.blocks[b]
		if !ok {
			if c := f.faults.Capacity; c > 0 && f.Allocated()+f.bs > c {
				f.fault(fmt.Sprintf("ENOSPC on write at %d after %d of %d", off, i, len(p)))
				f.size = max(f.size, off+int64(i))
				return i, f.pathErr("write", syscall.ENOSPC)
			}
			blk = make([]byte, f.bs)
			f.addBlock(b, blk)
		}
		copy(blk[in:], p[i:i+k])
		i += k
	}
	f.size = max(f.size, off+int64(n))
	return n, nil
}

func (f *SparseFile) addBlock(b int64, blk []byte) {
	f.blocks[b] = blk
	i := sort.Search(len(f.index), func(i int) bool { return f.index[i] >= b })
	f.index = append(f.index, 0)
	copy(f.index[i+1:], f.index[i:])
	f.index[i] = b
}

func (f *SparseFile) dropBlock(b int64) {
	delete(f.blocks, b)
	i := sort.Search(len(f.index), func(i int) bool { return f.index[i] >= b })
	if i < len(f.index) && f.index[i] == b {
		f.index = append(f.index[:i], f.index[i+1:]...)
	}
}

// SeekData implements streamactor.File.
func (f *SparseFile) SeekData(off int64) (int64, error) {
	if err := f.seekCheck(off); err != nil {
		return 0, err
	}
	i := sort.Search(len(f.index), func(i int) bool { return (f.index[i]+1)*f.bs > off })
	if i == len(f.index) || f.index[i]*f.bs >= f.size {
		return 0, f.pathErr("seek", syscall.ENXIO)
	}
	return max(off, f.index[i]*f.bs), nil
}

// SeekHole implements streamactor.File.
func (f *SparseFile) SeekHole(off int64) (int64, error) {
	if err := f.seekCheck(off); err != nil {
		return 0, err
	}
	b := off / f.bs
	for {
		if _, ok := f.blocks[b]; !ok {
			return min(max(off, b*f.bs), f.size), nil
		}
		b++
		if b*f.bs >= f.size {
			return f.size, nil
		}
	}
}

func (f *SparseFile) seekCheck(off int64) error {
	switch {
	case f.closed:
		return f.pathErr("seek", os.ErrClosed)
	case f.faults.NoSparse:
		return errors.Wrap(streamactor.ErrNoSparseInfo, f.name)
	case off < 0:
		return f.pathErr("seek", syscall.EINVAL)
	case off >= f.size:
		return f.pathErr("seek", syscall.ENXIO)
	}
	return nil
}

// PunchHole implements streamactor.File.
func (f *SparseFile) PunchHole(off, n int64) error {
	switch {
	case f.closed:
		return f.pathErr("fallocate", os.ErrClosed)
	case f.faults.NoSparse:
		return errors.Wrap(streamactor.ErrNoSparseInfo, f.name)
	case off < 0 || n < 0:
		return f.pathErr("fallocate", syscall.EINVAL)
	case off > math.MaxInt64-n:
		return f.pathErr("fallocate", syscall.EFBIG)
	}
	f.clearRange(off, off+n)
	return nil
}

// clearRange zeroes [lo, hi): whole blocks go, partial ones are zeroed.
func (f *SparseFile) clearRange(lo, hi int64) {
	for _, b := range append([]int64(nil), f.index...) {
		bl, bh := b*f.bs, (b+1)*f.bs
		if bh <= lo || bl >= hi {
			continue
		}
		if bl >= lo && bh <= hi {
			f.dropBlock(b)
			continue
		}
		blk := f.blocks[b]
		clear(blk[max(lo, bl)-bl : min(hi, bh)-bl])
	}
}

// Truncate implements streamactor.File.
func (f *SparseFile) Truncate(size int64) error {
	if f.closed {
		return f.pathErr("truncate", os.ErrClosed)
	}
	if size < 0 {
		return f.pathErr("truncate", syscall.EINVAL)
	}
	if n := len(f.index); n > 0 {
		// Blocks wholly past the new size are freed; the one it falls
		// inside keeps its head, its tail zeroed (as reads past the
		// end of a file grown again must see zeros).
		f.clearRange(size, max(f.size, (f.index[n-1]+1)*f.bs))
	}
	f.size = size
	return nil
}

// Sync implements streamactor.File: what was written becomes durable.
func (f *SparseFile) Sync() error {
	if f.closed {
		return f.pathErr("sync", os.ErrClosed)
	}
	f.Syncs++
	if f.faults.FailSyncs > 0 {
		f.faults.FailSyncs--
		f.fault("EIO on sync")
		return f.pathErr("sync", syscall.EIO)
	}
	f.durable = make(map[int64][]byte, len(f.blocks))
	for _, b := range f.index {
		f.durable[b] = append([]byte(nil), f.blocks[b]...)
	}
	f.durableSize = f.size
	return nil
}

// Size implements streamactor.File.
func (f *SparseFile) Size() (int64, error) {
	if f.closed {
		return 0, f.pathErr("stat", os.ErrClosed)
	}
	return f.size, nil
}

// Close implements streamactor.File.
func (f *SparseFile) Close() error {
	if f.closed {
		return f.pathErr("close", os.ErrClosed)
	}
	f.closed = true
	return nil
}

// Closed reports whether the file is closed.
func (f *SparseFile) Closed() bool { return f.closed }

func sortedBlockKeys(m map[int64][]byte) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m { //detguard:unordered sorted just below
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

var (
	_ streamactor.File   = (*SparseFile)(nil)
	_ streamactor.Runner = (*SparseFile)(nil)
)
