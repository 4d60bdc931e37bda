package childproc

import (
	"bytes"
	"io"
	"strings"
)

// stdoutWriter splits the child's stdout into lines and keeps them in its
// Proc. os/exec copies the child's stdout into it (in a goroutine of its
// own, which Cmd.WaitDelay bounds once the child has exited); that copy
// goes through ReadFrom, which sees the end of stdout as it happens, even
// while the child keeps running.
type stdoutWriter struct {
	p    *Proc
	part []byte // the start of a line not yet ended (p.mu)
}

// Write adds the lines b ends to the Proc's output; a line may be of any
// length.
func (w *stdoutWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.part = append(w.part, b...)
	start := 0
	for {
		i := bytes.IndexByte(w.part[start:], '\n')
		if i < 0 {
			break
		}
		w.p.out = append(w.p.out, strings.TrimSuffix(string(w.part[start:start+i]), "\r"))
		start += i + 1
	}
	if start > 0 {
		w.part = w.part[:copy(w.part, w.part[start:])]
		w.p.wake()
	}
	return len(b), nil
}

// ReadFrom reads r (the child's stdout) to its end, or until os/exec
// closes it, and then ends the output.
func (w *stdoutWriter) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		m, err := r.Read(buf)
		if m > 0 {
			n += int64(m)
			_, _ = w.Write(buf[:m])
		}
		if err != nil {
			w.end()
			if err == io.EOF {
				err = nil
			}
			return n, err
		}
	}
}

// end ends the output: a last line without its newline is kept, and
// readers waiting for a line learn there will be none. Later calls do
// nothing.
func (w *stdoutWriter) end() {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	if w.p.eof {
		return
	}
	if len(w.part) > 0 {
		w.p.out = append(w.p.out, strings.TrimSuffix(string(w.part), "\r"))
		w.part = nil
	}
	w.p.eof = true
	w.p.wake()
}
