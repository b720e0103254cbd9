package storetest

import (
	"errors"
	"testing"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

func domainUsers(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "acme")
	other := e.create(t, "other")
	u := e.user(t, fx.id, "Alice@Example.com")

	t.Run("get and find by email in any case", func(t *testing.T) {
		got, err := e.s.GetUser(ctx, fx.id, u.ID)
		if err != nil || got.Email != "Alice@Example.com" || got.Version != 1 {
			t.Fatalf("get: %+v %v", got, err)
		}
		for _, email := range []string{"alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"} {
			if got, err := e.s.UserByEmail(ctx, fx.id, email); err != nil || got.ID != u.ID {
				t.Fatalf("by email %s: %+v %v", email, got, err)
			}
		}
	})
	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"unknown id", func() error { _, err := e.s.GetUser(ctx, fx.id, "usr_nope"); return err }, store.ErrNotFound},
		{"empty id", func() error { _, err := e.s.GetUser(ctx, fx.id, ""); return err }, store.ErrNotFound},
		{"unknown email", func() error { _, err := e.s.UserByEmail(ctx, fx.id, "bob@example.com"); return err }, store.ErrNotFound},
		{"same email other case", func() error {
			dup := store.User{ID: ids.New("usr_"), Email: "ALICE@example.COM", CreatedAt: e.s.Now()}
			return e.s.CreateUser(ctx, fx.id, dup, event(e.s.Now(), "user.created", dup.ID))
		}, store.ErrConflict},
		{"same id", func() error {
			dup := u
			dup.Email = "fresh@example.com"
			return e.s.CreateUser(ctx, fx.id, dup, event(e.s.Now(), "user.created", dup.ID))
		}, store.ErrConflict},
		{"update of unknown user", func() error {
			_, err := e.s.UpdateUser(ctx, fx.id, "usr_nope", func(*store.User) error { return nil }, event(e.s.Now(), "user.updated", "x"))
			return err
		}, store.ErrNotFound},
		{"delete of unknown user", func() error {
			_, err := e.s.DeleteUser(ctx, fx.id, "usr_nope", "", event(e.s.Now(), "user.deleted", "x"))
			return err
		}, store.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.name, c.run(), c.want) })
	}
	t.Run("a failed duplicate leaves no user", func(t *testing.T) {
		if n, err := e.s.CountUsers(ctx, fx.id); err != nil || n != 1 {
			t.Fatalf("count: %d %v", n, err)
		}
	})
	t.Run("same email in another tenant is another user", func(t *testing.T) {
		o := e.user(t, other.id, "alice@example.com")
		if got, _ := e.s.UserByEmail(ctx, fx.id, "alice@example.com"); got.ID != u.ID {
			t.Fatal("tenant A's email now names tenant B's user")
		}
		if got, _ := e.s.UserByEmail(ctx, other.id, "alice@example.com"); got.ID != o.ID {
			t.Fatal("tenant B's user not found by email")
		}
	})
	t.Run("update moves the email pointer", func(t *testing.T) {
		bob := e.user(t, fx.id, "bob@example.com")
		upd, err := e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.Email, x.Name = "alice@new.example", "Alice"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		if err != nil || upd.Version != 2 || upd.Name != "Alice" {
			t.Fatalf("update: %+v %v", upd, err)
		}
		if _, err := e.s.UserByEmail(ctx, fx.id, "alice@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old email still reserved: %v", err)
		}
		if got, err := e.s.UserByEmail(ctx, fx.id, "ALICE@new.example"); err != nil || got.ID != u.ID {
			t.Fatalf("new email: %+v %v", got, err)
		}
		_, err = e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.Email = "BOB@example.com"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		wantErr(t, "email of another user", err, store.ErrConflict)
		if got, _ := e.s.GetUser(ctx, fx.id, u.ID); got.Email != "alice@new.example" || got.Version != 2 {
			t.Fatalf("failed update changed the user: %+v", got)
		}
		if got, _ := e.s.UserByEmail(ctx, fx.id, "bob@example.com"); got.ID != bob.ID {
			t.Fatal("bob lost his email")
		}
		upd, err = e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.Email = "Alice@New.Example"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		if err != nil || upd.Email != "Alice@New.Example" {
			t.Fatalf("respelled email: %+v %v", upd, err)
		}
		_, err = e.s.UpdateUser(ctx, fx.id, u.ID, func(x *store.User) error { x.ID = "usr_other"; return nil }, event(e.s.Now(), "user.updated", u.ID))
		if err == nil {
			t.Fatal("update changed the id")
		}
	})
	t.Run("users page newest first, each once", func(t *testing.T) {
		var got []string
		pr := store.PageRequest{Limit: 1}
		for range 10 {
			page, err := e.s.ListUsers(ctx, fx.id, pr)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page.Items {
				got = append(got, x.ID)
			}
			if pr.Cursor = page.Next; pr.Cursor == "" {
				break
			}
		}
		if len(got) != 2 || got[1] != u.ID {
			t.Fatalf("pages: %v", got)
		}
		_, err := e.s.ListUsers(ctx, other.id, store.PageRequest{Cursor: func() string {
			p, _ := e.s.ListUsers(ctx, fx.id, store.PageRequest{Limit: 1})
			return p.Next
		}()})
		wantErr(t, "another tenant's cursor", err, store.ErrBadCursor)
	})
	t.Run("delete frees the email and writes the cascade marker", func(t *testing.T) {
		mark, err := e.s.DeleteUser(ctx, fx.id, u.ID, "left", event(e.s.Now(), "user.deleted", u.ID))
		if err != nil || mark.UserID != u.ID || mark.Reason != "left" {
			t.Fatalf("delete: %+v %v", mark, err)
		}
		if _, err := e.s.GetUser(ctx, fx.id, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted user readable: %v", err)
		}
		if got, err := e.s.GetUserRevocation(ctx, fx.id, u.ID); err != nil || !got.At.Equal(mark.At) {
			t.Fatalf("marker: %+v %v", got, err)
		}
		e.user(t, fx.id, "alice@new.example") // the email is free again
	})
}
