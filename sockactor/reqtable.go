package sockactor

import (
	"slices"

	"github.com/actorio/actorio/actors"
)

// reqTable is a socket's registry of accepted requests: id → record. A
// busy socket registers and completes a request or two per PDU, and a Go
// map spent a hash, a probe and a delete's bookkeeping on each (about 5%
// of a small-PDU echo). Machines hand out ids in increasing order and
// most requests finish soon after, so a table indexed by id modulo its
// size (a power of two) holds nearly every record in its home slot: one
// comparison finds it, and removing it is clearing the slot. A record
// whose home slot is taken (a request that stays pending while many newer
// ones pass) goes to an overflow map. The table doubles at half full and
// never shrinks below what the socket once had pending.
type reqTable struct {
	slots []reqSlot // len is 0 or a power of two
	n     int       // occupied slots
	over  map[ReqID]reqRecord
}

type reqSlot struct {
	id ReqID // 0: empty (machines start ids at 1)
	r  reqRecord
}

// minReqSlots is the table's first size: room for a read and a write
// queue of a few requests each without growing.
const minReqSlots = 16

// put records r under id, which is not in the table and not 0.
func (t *reqTable) put(id ReqID, r reqRecord) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.place(id, r)
}

func (t *reqTable) place(id ReqID, r reqRecord) {
	s := &t.slots[id&ReqID(len(t.slots)-1)]
	if s.id == 0 {
		*s = reqSlot{id: id, r: r}
		t.n++
		return
	}
	if t.over == nil {
		t.over = map[ReqID]reqRecord{}
	}
	t.over[id] = r
}

// get returns the record of id.
func (t *reqTable) get(id ReqID) (reqRecord, bool) {
	if id != 0 && len(t.slots) > 0 {
		if s := &t.slots[id&ReqID(len(t.slots)-1)]; s.id == id {
			return s.r, true
		}
	}
	if len(t.over) == 0 {
		return reqRecord{}, false
	}
	r, ok := t.over[id]
	return r, ok
}

// take removes the record of id and returns it.
func (t *reqTable) take(id ReqID) (reqRecord, bool) {
	if id != 0 && len(t.slots) > 0 {
		if s := &t.slots[id&ReqID(len(t.slots)-1)]; s.id == id {
			r := s.r
			*s = reqSlot{}
			t.n--
			return r, true
		}
	}
	if len(t.over) == 0 {
		return reqRecord{}, false
	}
	r, ok := t.over[id]
	if ok {
		delete(t.over, id)
	}
	return r, ok
}

// grow doubles the table, moving home what the overflow map holds.
func (t *reqTable) grow() {
	old, over := t.slots, t.over
	t.slots = make([]reqSlot, max(minReqSlots, 2*len(old)))
	t.n, t.over = 0, nil
	for i := range old {
		if old[i].id != 0 {
			t.place(old[i].id, old[i].r)
		}
	}
	for _, id := range actors.SortedKeys(over) {
		t.place(id, over[id])
	}
}

// ids returns the ids in the table, in ascending order.
func (t *reqTable) ids() []ReqID {
	ids := make([]ReqID, 0, t.n+len(t.over))
	for i := range t.slots {
		if t.slots[i].id != 0 {
			ids = append(ids, t.slots[i].id)
		}
	}
	ids = append(ids, actors.SortedKeys(t.over)...)
	slices.Sort(ids)
	return ids
}
