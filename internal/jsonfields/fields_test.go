package jsonfields

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type Inner struct {
	ID    string `json:"id"`
	Depth int
	Tied  int
}

type Other struct {
	Tied int
}

type sample struct {
	Inner
	*Other
	Name  string `json:"name,omitempty"`
	Depth int    // shadows Inner.Depth (shallower)
	Skip  int    `json:"-"`
	Count int    `json:"count,string"`
}

// TestOfMatchesEncodingJSON: the members and their order are those
// encoding/json writes.
func TestOfMatchesEncodingJSON(t *testing.T) {
	v := sample{Inner: Inner{ID: "x", Depth: 1, Tied: 2}, Other: &Other{Tied: 3}, Name: "n", Depth: 4, Skip: 5, Count: 6}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.Token()
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip any
		dec.Decode(&skip)
	}
	var names []string
	for _, f := range Of(reflect.TypeOf(v)) {
		names = append(names, f.Name)
	}
	if !reflect.DeepEqual(keys, names) {
		t.Fatalf("Of gives %q, encoding/json writes %q", names, keys)
	}
	if f := Of(reflect.TypeOf(v))[1]; f.Name != "name" || !f.Tagged || !f.HasOption("omitempty") || f.HasOption("string") {
		t.Fatalf("name field: %+v", f)
	}
}
