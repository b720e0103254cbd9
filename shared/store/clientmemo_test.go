package store

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// mapTable answers Get from items, as they are set.
type mapTable struct {
	Table
	items map[Key]Item
}

func (m *mapTable) Get(_ context.Context, k Key) (Item, error) {
	it, ok := m.items[k]
	if !ok {
		return Item{}, ErrNotFound
	}
	return it, nil
}

// The memo of decoded clients serves a client only for the very item it
// decoded (same version AND same bytes); any other answer is decoded and
// replaces it, a bad one removes it, and it stays within its bounds.
func TestClientMemo(t *testing.T) {
	ctx := t.Context()
	acme := tenant.MustID("acme")
	sc, _ := scopeOf(acme)
	tbl := &mapTable{items: map[Key]Item{}}
	s := New(tbl, time.Now)
	k := clientKey(sc, "cid")
	set := func(version int64, c Client) {
		tbl.items[k] = Item{Key: k, Version: version, Data: marshal(c)}
		tbl.items[clientIDKey(sc, "agent_1")] = Item{Key: clientIDKey(sc, "agent_1"), Version: 1, Data: []byte("cid")}
	}
	get := func(want string, version int64) *clientMemoEntry {
		t.Helper()
		for _, read := range []func() (Client, error){
			func() (Client, error) { return s.GetClient(ctx, acme, "cid") },
			func() (Client, error) { return s.GetClientByID(ctx, acme, "agent_1") },
		} {
			c, err := read()
			if err != nil || c.Name != want || c.Version != version {
				t.Fatalf("read %q v%d, %v; want %q v%d", c.Name, c.Version, err, want, version)
			}
		}
		e, ok := s.clients.Peek(k)
		if !ok || e.version != version || !bytes.Equal(e.data, tbl.items[k].Data) || e.client.Name != want {
			t.Fatalf("memo entry %+v, %v; want %q at v%d", e, ok, want, version)
		}
		return e
	}

	set(1, Client{ClientID: "cid", Name: "A"})
	e1 := get("A", 1)
	if e := get("A", 1); e != e1 {
		t.Fatal("the same item was decoded again, not served from the memo")
	}
	set(1, Client{ClientID: "cid", Name: "B"}) // same version, other bytes (deleted and created again)
	e2 := get("B", 1)
	if e2 == e1 {
		t.Fatal("served by version alone")
	}
	set(2, Client{ClientID: "cid", Name: "B"}) // same bytes, other version
	if e := get("B", 2); e == e2 {
		t.Fatal("served by bytes alone")
	}

	tbl.items[k] = Item{Key: k, Version: 3, Data: []byte("{not json")}
	if _, err := s.GetClient(ctx, acme, "cid"); err == nil {
		t.Fatal("a record that does not decode was read")
	}
	if _, ok := s.clients.Peek(k); ok {
		t.Fatal("a record that does not decode left its memo entry")
	}
	delete(tbl.items, k)
	if _, err := s.GetClient(ctx, acme, "cid"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent client: %v", err)
	}

	// A record over clientMemoMaxBytes is decoded every time, never kept.
	set(1, Client{ClientID: "cid", Name: "big", Registration: []byte(`"` + string(bytes.Repeat([]byte("x"), clientMemoMaxBytes)) + `"`)})
	if c, err := s.GetClient(ctx, acme, "cid"); err != nil || c.Name != "big" {
		t.Fatalf("big client: %+v %v", c.Name, err)
	}
	if _, ok := s.clients.Peek(k); ok {
		t.Fatal("a record over the size bound was kept")
	}

	// At most clientMemoSize entries.
	for i := range clientMemoSize + 100 {
		id := "c" + strconv.Itoa(i)
		ki := clientKey(sc, id)
		tbl.items[ki] = Item{Key: ki, Version: 1, Data: marshal(Client{ClientID: id})}
		if _, err := s.GetClient(ctx, acme, id); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.clients.Len(); n != clientMemoSize {
		t.Fatalf("%d entries, want the bound %d", n, clientMemoSize)
	}
}

// cloneClient shares no slice, map or pointer with its input, for every
// field of Client (a field added later fails here until cloneClient copies it).
func TestCloneClientCoversEveryField(t *testing.T) {
	var c Client
	fill(t, reflect.ValueOf(&c).Elem())
	d := cloneClient(c)
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, d)
	}
	noneShared(t, "Client", reflect.ValueOf(c), reflect.ValueOf(d))
}

// fill sets every field of the struct v to a non-empty value.
func fill(t *testing.T, v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		fill1(t, v.Type().Field(i).Name, f)
	}
}

func fill1(t *testing.T, name string, f reflect.Value) {
	switch f.Kind() {
	case reflect.String:
		f.SetString("x")
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Uint8:
		f.Set(reflect.ValueOf(1).Convert(f.Type()))
	case reflect.Slice:
		s := reflect.MakeSlice(f.Type(), 1, 1)
		fill1(t, name, s.Index(0))
		f.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(f.Type())
		val := reflect.New(f.Type().Elem()).Elem()
		if f.Type().Elem().Kind() == reflect.Interface {
			val.Set(reflect.ValueOf(map[string]any{"k": []any{"v"}}))
		} else {
			fill1(t, name, val)
		}
		m.SetMapIndex(reflect.ValueOf("k"), val)
		f.Set(m)
	case reflect.Pointer:
		p := reflect.New(f.Type().Elem())
		fill1(t, name, p.Elem())
		f.Set(p)
	case reflect.Struct:
		if f.Type() == reflect.TypeOf(time.Time{}) {
			f.Set(reflect.ValueOf(time.Unix(1, 0).UTC()))
			return
		}
		fill(t, f)
	default:
		t.Fatalf("field %s: kind %s not handled by the test", name, f.Kind())
	}
}

// noneShared fails when a and b share a slice's array, a map or a pointer.
func noneShared(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer:
		if !a.IsNil() && a.UnsafePointer() == b.UnsafePointer() {
			t.Errorf("%s is shared by the clone", path)
			return
		}
	}
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() {
			noneShared(t, path, a.Elem(), b.Elem())
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				noneShared(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Slice:
		for i := range a.Len() {
			noneShared(t, path+"[i]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		for _, k := range a.MapKeys() {
			noneShared(t, path+"[k]", a.MapIndex(k), b.MapIndex(k))
		}
	case reflect.Interface:
		if !a.IsNil() {
			noneShared(t, path, a.Elem(), b.Elem())
		}
	}
}
