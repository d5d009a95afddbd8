package zscalertest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"sync"
)

// Collection is an in-memory set of JSON objects keyed by a numeric id, for
// the CRUD routes of a stand-in service. Objects are map[string]any with
// their id under IDField.
type Collection struct {
	// IDField is the JSON name of the id ("id" for most APIs).
	IDField string
	// IDAsString stores ids as JSON strings (ZPA) rather than numbers (ZIA).
	IDAsString bool

	mu    sync.Mutex
	next  int64
	items map[int64]map[string]any
}

// NewCollection returns a collection holding seed (ids assigned from 1 when
// an object has none).
func NewCollection(idField string, idAsString bool, seed ...map[string]any) *Collection {
	c := &Collection{IDField: idField, IDAsString: idAsString, items: map[int64]map[string]any{}}
	for _, o := range seed {
		c.Create(o)
	}
	return c
}

// List returns every object, ordered by id.
func (c *Collection) List() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := make([]int64, 0, len(c.items))
	for id := range c.items {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, clone(c.items[id]))
	}
	return out
}

// Get returns the object with this id.
func (c *Collection) Get(id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.items[n]
	if !ok {
		return nil, false
	}
	return clone(o), true
}

// Create stores o under a new id (or its own numeric id) and returns it.
func (c *Collection) Create(o map[string]any) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	o = clone(o)
	var id int64
	switch v := o[c.IDField].(type) {
	case float64:
		id = int64(v)
	case int:
		id = int64(v)
	case int64:
		id = v
	case string:
		id, _ = strconv.ParseInt(v, 10, 64)
	}
	if id == 0 {
		c.next++
		id = c.next
	} else if id > c.next {
		c.next = id
	}
	if c.IDAsString {
		o[c.IDField] = strconv.FormatInt(id, 10)
	} else {
		o[c.IDField] = id
	}
	c.items[id] = o
	return clone(o)
}

// Update replaces the object with this id (keeping the id); false if absent.
func (c *Collection) Update(id string, o map[string]any) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.items[n]
	if !ok {
		return nil, false
	}
	o = clone(o)
	o[c.IDField] = old[c.IDField]
	c.items[n] = o
	return clone(o), true
}

// Delete removes the object with this id; false if absent.
func (c *Collection) Delete(id string) bool {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.items[n]; !ok {
		return false
	}
	delete(c.items, n)
	return true
}

// DecodeObject reads a JSON object body; on failure it answers 400 and
// returns false.
func DecodeObject(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var o map[string]any
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o == nil {
		WriteJSON(w, http.StatusBadRequest, map[string]string{"code": "INVALID_INPUT_ARGUMENT", "message": "request body must be a JSON object"})
		return nil, false
	}
	return o, true
}

func clone(o map[string]any) map[string]any {
	b, _ := json.Marshal(o)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
