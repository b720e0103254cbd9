package storetest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func domainPagination(t *testing.T, e *env) {
	ctx := t.Context()
	var tenants []string
	for i := range 5 {
		id := fmt.Sprintf("page-%02d", i)
		tenants = append(tenants, id)
		e.create(t, id)
	}
	a, b := tenant.MustID("page-00"), tenant.MustID("page-01")
	var clients []string
	for i := range 5 {
		clients = append(clients, e.client(t, a, fmt.Sprint(i)).ClientID)
	}
	e.client(t, b, "b")
	slices.Reverse(clients) // newest first

	walkTenants := func(limit int) []string {
		var got []string
		pr := store.PageRequest{Limit: limit}
		for range 10 {
			page, err := e.s.ListTenants(ctx, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, tn := range page.Items {
				got = append(got, tn.ID)
			}
			if page.Next == "" {
				return got
			}
			pr.Cursor = page.Next
		}
		t.Fatal("pagination does not end")
		return nil
	}
	for _, limit := range []int{1, 2, 5, 0} {
		t.Run(fmt.Sprintf("tenants by %d", limit), func(t *testing.T) {
			if got := walkTenants(limit); !slices.Equal(got, tenants) {
				t.Fatalf("got %v, want %v", got, tenants)
			}
		})
	}
	t.Run("clients newest first, each once", func(t *testing.T) {
		var got []string
		pr := store.PageRequest{Limit: 2}
		for range 10 {
			page, err := e.s.ListClients(ctx, a, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				got = append(got, c.ClientID)
			}
			if pr.Cursor = page.Next; pr.Cursor == "" {
				break
			}
		}
		if !slices.Equal(got, clients) {
			t.Fatalf("got %v, want %v", got, clients)
		}
	})

	first, err := e.s.ListClients(ctx, a, store.PageRequest{Limit: 2})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v %q", err, first.Next)
	}
	tenantPage, err := e.s.ListTenants(ctx, store.PageRequest{Limit: 1})
	if err != nil || tenantPage.Next == "" {
		t.Fatal(err)
	}
	tampered := []byte(first.Next)
	tampered[len(tampered)/2] ^= 1
	if tampered[len(tampered)/2] == '-'^1 || tampered[len(tampered)/2] == '_'^1 {
		tampered[len(tampered)/2] = 'A'
	}
	bad := []struct {
		name string
		run  func() error
	}{
		{"tampered cursor", func() error {
			_, err := e.s.ListClients(ctx, a, store.PageRequest{Cursor: string(tampered)})
			return err
		}},
		{"garbage cursor", func() error {
			_, err := e.s.ListClients(ctx, a, store.PageRequest{Cursor: "not a cursor!"})
			return err
		}},
		{"another tenant's cursor", func() error {
			_, err := e.s.ListClients(ctx, b, store.PageRequest{Cursor: first.Next})
			return err
		}},
		{"another query's cursor", func() error {
			_, err := e.s.ListTenants(ctx, store.PageRequest{Cursor: first.Next})
			return err
		}},
		{"tenant cursor on clients", func() error {
			_, err := e.s.ListClients(ctx, a, store.PageRequest{Cursor: tenantPage.Next})
			return err
		}},
	}
	for _, c := range bad {
		t.Run("rejects "+c.name, func(t *testing.T) { wantErr(t, c.name, c.run(), store.ErrBadCursor) })
	}
	t.Run("a cursor outlives the store instance", func(t *testing.T) {
		again := store.New(e.f, e.clock.Now)
		page, err := again.ListClients(ctx, a, store.PageRequest{Limit: 2, Cursor: first.Next})
		if err != nil || len(page.Items) != 2 || page.Items[0].ClientID != clients[2] {
			t.Fatalf("resumed page: %v %v", page.Items, err)
		}
	})
	// Cases each gained when a planted defect passed the tier.
	t.Run("regressions", func(t *testing.T) { paginationRegressions(t, e) })
}

func paginationRegressions(t *testing.T, e *env) {
	ctx := t.Context()
	for _, id := range []string{"page-r1", "page-r2", "page-r3"} {
		e.create(t, id)
	}
	first, err := e.s.ListTenants(ctx, store.PageRequest{Limit: 1})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v %+v", err, first)
	}

	t.Run("a forged plain cursor is refused", func(t *testing.T) {
		for _, pos := range []store.Position{{PK: "T#page-r2#TENANT", SK: "TENANT", GSI1SK: "page-r2"}, {PK: "x"}} {
			plain, _ := json.Marshal(pos)
			for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.StdEncoding} {
				_, err := e.s.ListTenants(ctx, store.PageRequest{Limit: 1, Cursor: enc.EncodeToString(plain)})
				wantErr(t, "forged cursor", err, store.ErrBadCursor)
			}
		}
	})

	t.Run("each table seals cursors with its own secret", func(t *testing.T) {
		other := e.fresh()
		for _, id := range []string{"page-r1", "page-r2", "page-r3"} {
			fx := e.newTenant(id)
			if err := other.CreateTenant(ctx, fx.n); err != nil {
				t.Fatal(err)
			}
		}
		theirs, err := other.ListTenants(ctx, store.PageRequest{Limit: 1})
		if err != nil || theirs.Next == "" {
			t.Fatalf("other table: %v", err)
		}
		if theirs.Next == first.Next {
			t.Fatal("two tables sealed the same position to the same cursor")
		}
		_, err = other.ListTenants(ctx, store.PageRequest{Limit: 1, Cursor: first.Next})
		if !errors.Is(err, store.ErrBadCursor) {
			t.Fatalf("a cursor of another table opened: %v", err)
		}
	})

}
