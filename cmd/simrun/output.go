package main

import (
	"fmt"
	"io"
)

// reportWriter is the writer of simrun's report (stdout): it keeps the
// first write error, so that a report that could not be written (stdout
// on a full disk) fails simrun instead of being lost in silence. Only
// one goroutine writes the report.
type reportWriter struct {
	w   io.Writer
	err error
}

func (r *reportWriter) Write(b []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		r.err = err
	}
	return n, err
}

// reported runs a command that writes its report to stdout and returns
// its exit status, or 2 when the report could not be written: like an
// unwritable trace, the run's result did not reach the user, whatever
// it was.
func reported(stdout, stderr io.Writer, command func(stdout io.Writer) int) int {
	rw := &reportWriter{w: stdout}
	code := command(rw)
	if rw.err != nil {
		fmt.Fprintf(stderr, "simrun: writing the report: %v\n", rw.err)
		return 2
	}
	return code
}
