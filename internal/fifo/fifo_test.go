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
