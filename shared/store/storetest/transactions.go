package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/table/tabletest"
)

// domainTransactions injects a fault at each table call of multi-item changes
// and checks nothing is half-written.
func domainTransactions(t *testing.T, e *env) {
	ctx := t.Context()
	ops := []struct {
		name  string
		setup func(t *testing.T, step int) (run func() error, unchanged func(t *testing.T))
	}{
		{"CreateTenant", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			host := fmt.Sprintf("faulty-%d.test", step)
			fx := e.newTenant(fmt.Sprintf("faulty-%d", step), host)
			return func() error { return e.s.CreateTenant(ctx, fx.n) }, func(t *testing.T) {
				if _, err := e.s.GetTenant(ctx, fx.id); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("tenant half-created: %v", err)
				}
				if _, err := e.s.TenantByHost(ctx, host); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("host half-created: %v", err)
				}
				if keys, _ := e.s.SigningKeys(ctx, fx.id); len(keys) != 0 {
					t.Fatal("signing key half-created")
				}
				if _, err := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret)); !errors.Is(err, store.ErrNotFound) {
					t.Fatal("admin key half-created")
				}
				if evs, _ := e.s.AuditEventsOn(ctx, fx.id, e.s.Now()); len(evs) != 0 {
					t.Fatal("audit event of a failed create")
				}
			}
		}},
		{"UpdateTenant", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			old, new := fmt.Sprintf("old-%d.upd.test", step), fmt.Sprintf("new-%d.upd.test", step)
			fx := e.create(t, fmt.Sprintf("upd-%d", step), old)
			return func() error {
					_, err := e.s.UpdateTenant(ctx, fx.id, func(tn *store.Tenant) error {
						tn.Name, tn.Hosts = "new", []string{new}
						return nil
					}, event(e.s.Now(), "tenant.updated", "upd"))
					return err
				}, func(t *testing.T) {
					got, _ := e.s.GetTenant(ctx, fx.id)
					if got.Name != fx.n.Tenant.Name || got.Version != 1 {
						t.Fatalf("tenant half-updated: %+v", got)
					}
					if _, err := e.s.TenantByHost(ctx, old); err != nil {
						t.Fatal("old host lost")
					}
					if _, err := e.s.TenantByHost(ctx, new); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("new host half-added")
					}
				}
		}},
		{"DeleteClient", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("del-%d", step))
			c := e.client(t, fx.id, "victim")
			return func() error {
					return e.s.DeleteClient(ctx, fx.id, c.ClientID, event(e.s.Now(), "agent.deactivated", c.ClientID))
				}, func(t *testing.T) {
					if _, err := e.s.GetClient(ctx, fx.id, c.ClientID); err != nil {
						t.Fatalf("client half-deleted: %v", err)
					}
					if _, err := e.s.GetClientByID(ctx, fx.id, c.ID); err != nil {
						t.Fatalf("client id pointer half-deleted: %v", err)
					}
				}
		}},
		{"CreateUser", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("usr-%d", step))
			u := store.User{ID: ids.New("usr_"), Email: "x@example.com", CreatedAt: e.s.Now()}
			return func() error { return e.s.CreateUser(ctx, fx.id, u, event(e.s.Now(), "user.created", u.ID)) }, func(t *testing.T) {
				if _, err := e.s.GetUser(ctx, fx.id, u.ID); !errors.Is(err, store.ErrNotFound) {
					t.Fatal("user half-created")
				}
				if _, err := e.s.UserByEmail(ctx, fx.id, u.Email); !errors.Is(err, store.ErrNotFound) {
					t.Fatal("email reserved by a failed create")
				}
			}
		}},
		{"DeleteUser", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("dusr-%d", step))
			u := e.user(t, fx.id, "gone@example.com")
			return func() error {
					_, err := e.s.DeleteUser(ctx, fx.id, u.ID, "", event(e.s.Now(), "user.deleted", u.ID))
					return err
				}, func(t *testing.T) {
					if _, err := e.s.UserByEmail(ctx, fx.id, u.Email); err != nil {
						t.Fatal("user half-deleted")
					}
					if _, err := e.s.GetUserRevocation(ctx, fx.id, u.ID); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("cascade marker of a failed delete")
					}
				}
		}},
		{"IssueToken", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("tok-%d", step))
			now := e.s.Now()
			rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: "c", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
			mark := store.ReplayMark{Kind: "dpop", Value: "v", Until: now.Add(time.Minute)}
			return func() error {
					return e.s.IssueToken(ctx, fx.id, store.Issuance{Token: rec, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", "c")})
				}, func(t *testing.T) {
					if _, err := e.s.GetToken(ctx, fx.id, rec.JTI); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("token half-issued")
					}
					again := rec
					again.JTI = ids.NanoID()
					if err := e.s.IssueToken(ctx, fx.id, store.Issuance{Token: again, Marks: []store.ReplayMark{mark}, Event: event(now, "oauth.token_issued", "c")}); err != nil {
						t.Fatalf("mark consumed by a failed issue: %v", err)
					}
				}
		}},
		{"RotateAPIKey", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("rot-%d", step))
			next := store.APIKey{ID: ids.New("key_"), Hash: ids.Hash(fmt.Sprint("next-", step)), Scopes: []string{"*"}, CreatedAt: e.s.Now()}
			return func() error {
					_, err := e.s.RotateAPIKey(ctx, fx.id, fx.n.AdminKey.ID, next, event(e.s.Now(), "api_key.rotated", "k"))
					return err
				}, func(t *testing.T) {
					if k, _ := e.s.APIKeyByHash(ctx, fx.id, ids.Hash(fx.secret)); !k.RevokedAt.IsZero() {
						t.Fatal("old key revoked by a failed rotation")
					}
					if _, err := e.s.GetAPIKey(ctx, fx.id, next.ID); !errors.Is(err, store.ErrNotFound) {
						t.Fatal("new key of a failed rotation")
					}
				}
		}},
		{"EmergencyRotation", func(t *testing.T, step int) (func() error, func(*testing.T)) {
			fx := e.create(t, fmt.Sprintf("emk-%d", step))
			return func() error {
					_, err := e.s.RotateSigningKey(ctx, fx.id, store.SigningKey{KID: "fresh", Mode: store.ModeLocal}, store.RotateEmergency, event(e.s.Now(), "signing_key.rotated", "k"))
					return err
				}, func(t *testing.T) {
					if k, _ := e.s.GetSigningKey(ctx, fx.id, fx.n.SigningKey.KID); k.State != store.KeyCurrent {
						t.Fatal("old key retired by a failed rotation")
					}
					if tn, _ := e.s.GetTenant(ctx, fx.id); len(tn.RevokedKIDs) != 0 {
						t.Fatal("kid revoked by a failed rotation")
					}
				}
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			// Fail call 1, 2, ... until a run makes fewer calls than the step:
			// that clean run must succeed.
			for step := 1; ; step++ {
				run, unchanged := op.setup(t, step)
				e.f.Arm(step)
				err := run()
				calls := e.f.Calls
				e.f.Arm(0)
				if step > calls {
					if err != nil {
						t.Fatalf("clean run failed: %v", err)
					}
					return
				}
				if !errors.Is(err, tabletest.ErrInjected) {
					t.Fatalf("fault at call %d: want the injected error, got %v", step, err)
				}
				t.Run(fmt.Sprintf("fault at call %d", step), unchanged)
			}
		})
	}
}
