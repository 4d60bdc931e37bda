package fifo

import (
	"testing"

	"pgregory.net/rapid"
)

// TestQueueMatchesSlice: any sequence of pushes and pops gives what a
// plain slice gives, across growth and wrap-around.
func TestQueueMatchesSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q Queue[int]
		var model []int
		for _, push := range rapid.SliceOf(rapid.Bool()).Draw(t, "ops") {
			if push || len(model) == 0 {
				v := len(model) * 7
				q.Push(v)
				model = append(model, v)
			} else {
				if got := q.Pop(); got != model[0] {
					t.Fatalf("Pop = %d, want %d", got, model[0])
				}
				model = model[1:]
			}
			if q.Len() != len(model) {
				t.Fatalf("Len = %d, want %d", q.Len(), len(model))
			}
			if len(model) > 0 && (q.Front() != model[0] || q.Back() != model[len(model)-1]) {
				t.Fatalf("Front/Back = %d/%d, want %d/%d", q.Front(), q.Back(), model[0], model[len(model)-1])
			}
		}
		q.Clear()
		if q.Len() != 0 || q.Front() != 0 || q.Back() != 0 {
			t.Fatal("not empty after Clear")
		}
	})
}

// TestRemoveMatchesSlice: At and Remove anywhere in the queue, across
// wrap-around, give what a plain slice gives, and drop the reference.
func TestRemoveMatchesSlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q Queue[*int]
		var model []*int
		for range rapid.IntRange(0, 20).Draw(t, "warm") { // move head off 0
			q.Push(new(int))
			q.Pop()
		}
		for i, n := 0, rapid.IntRange(1, 40).Draw(t, "n"); i < n; i++ {
			v := new(int)
			*v = i
			q.Push(v)
			model = append(model, v)
		}
		for len(model) > 0 {
			i := rapid.IntRange(0, len(model)-1).Draw(t, "i")
			if q.At(i) != model[i] {
				t.Fatalf("At(%d) = %d, want %d", i, *q.At(i), *model[i])
			}
			if got := q.Remove(i); got != model[i] {
				t.Fatalf("Remove(%d) = %d, want %d", i, *got, *model[i])
			}
			model = append(model[:i:i], model[i+1:]...)
			if q.Len() != len(model) {
				t.Fatalf("Len = %d, want %d", q.Len(), len(model))
			}
			for j, v := range model {
				if q.At(j) != v {
					t.Fatalf("after Remove(%d): At(%d) = %d, want %d", i, j, *q.At(j), *v)
				}
			}
			live := 0
			for _, p := range q.buf {
				if p != nil {
					live++
				}
			}
			if live != len(model) {
				t.Fatalf("the buffer holds %d references for %d values", live, len(model))
			}
		}
	})
}

// TestAtOutOfRangePanics: At past the end is a caller's bug, said so.
func TestAtOutOfRangePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("At(1) of a one-value queue did not panic")
		}
	}()
	var q Queue[int]
	q.Push(1)
	q.At(1)
}

// TestPopEmptyPanics: popping an empty queue is a caller's bug, said so.
func TestPopEmptyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Pop of an empty queue did not panic")
		}
	}()
	var q Queue[*int]
	q.Pop()
}

// TestPopDropsReference: a popped pointer is not kept by the queue.
func TestPopDropsReference(t *testing.T) {
	var q Queue[*int]
	v := 1
	q.Push(&v)
	q.Pop()
	for _, p := range q.buf {
		if p != nil {
			t.Fatal("the queue still references a popped value")
		}
	}
}
