// Package fifo is the first-in first-out queue that actorio's mailboxes
// (real and simulated), stream cores and signal connections share: a ring
// buffer that grows by doubling and keeps its memory, so a queue in steady
// state allocates nothing.
package fifo

// Queue is a FIFO of T. The zero value is an empty queue. Its buffer's
// length is always a power of two, so positions wrap with a mask.
type Queue[T any] struct {
	buf        []T
	head, size int
}

// Len returns how many values are queued.
func (q *Queue[T]) Len() int { return q.size }

// Push appends v.
func (q *Queue[T]) Push(v T) {
	if q.size == len(q.buf) {
		q.grow()
	}
	q.buf[(q.head+q.size)&(len(q.buf)-1)] = v
	q.size++
}

func (q *Queue[T]) grow() {
	n := 2 * len(q.buf)
	if n == 0 {
		n = 4
	}
	buf := make([]T, n)
	for i := 0; i < q.size; i++ {
		buf[i] = q.buf[(q.head+i)&(len(q.buf)-1)]
	}
	q.buf, q.head = buf, 0
}

// Pop removes and returns the oldest value. The queue must not be empty.
func (q *Queue[T]) Pop() T {
	if q.size == 0 {
		panic("fifo: Pop of an empty queue")
	}
	var zero T
	v := q.buf[q.head]
	q.buf[q.head] = zero // the queue keeps no reference
	q.head = (q.head + 1) & (len(q.buf) - 1)
	q.size--
	return v
}

// Front returns the oldest value, or the zero value when empty.
func (q *Queue[T]) Front() T {
	if q.size == 0 {
		var zero T
		return zero
	}
	return q.buf[q.head]
}

// Back returns the newest value, or the zero value when empty.
func (q *Queue[T]) Back() T {
	if q.size == 0 {
		var zero T
		return zero
	}
	return q.buf[(q.head+q.size-1)&(len(q.buf)-1)]
}

// At returns the i-th oldest value (At(0) is Front). i must be in
// [0, Len()).
func (q *Queue[T]) At(i int) T {
	if i < 0 || i >= q.size {
		panic("fifo: At out of range")
	}
	return q.buf[(q.head+i)&(len(q.buf)-1)]
}

// Remove takes out the i-th oldest value and returns it, keeping the
// order of the rest. It moves the values on the shorter side of i, so
// removing near either end is cheap. i must be in [0, Len()).
func (q *Queue[T]) Remove(i int) T {
	v := q.At(i)
	mask := len(q.buf) - 1
	var zero T
	if i < q.size/2 {
		for j := i; j > 0; j-- {
			q.buf[(q.head+j)&mask] = q.buf[(q.head+j-1)&mask]
		}
		q.buf[q.head] = zero
		q.head = (q.head + 1) & mask
	} else {
		for j := i; j < q.size-1; j++ {
			q.buf[(q.head+j)&mask] = q.buf[(q.head+j+1)&mask]
		}
		q.buf[(q.head+q.size-1)&mask] = zero
	}
	q.size--
	return v
}

// Clear removes every value.
func (q *Queue[T]) Clear() {
	for q.size > 0 {
		q.Pop()
	}
}
