package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// domainCodes checks the user's grants: authorization codes (single use in
// the token's transaction, expiring, a tombstone naming what the use
// issued), refresh tokens (rotation in the token's transaction, one winner
// of a race) and the family marker that Decide reads, with the user's
// cascade deciding user-subject tokens. Tenant isolation of every method.
func domainCodes(t *testing.T, e *env) {
	ctx := t.Context()
	fx := e.create(t, "codes")
	other := e.create(t, "othercodes")
	c := e.client(t, fx.id, "web")
	newCode := func(t *testing.T, id tenant.ID) (store.AuthCode, string) {
		t.Helper()
		now := e.s.Now()
		val := ids.NewSecret()
		code := store.AuthCode{ID: ids.New("code_"), Hash: ids.Hash(val), ClientID: c.ClientID, RedirectURI: "https://app.test/cb",
			Challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", Scope: "mcp:read", Resources: []string{"https://mcp.test"},
			UserID: "usr_1", DPoPJKT: "jkt1", CreatedAt: now, ExpiresAt: now.Add(store.MaxCodeLifetime)}
		cons := store.Consent{UserID: "usr_1", ClientID: c.ClientID, RedirectURI: code.RedirectURI, Scopes: []string{"mcp:read"}, CreatedAt: now, UpdatedAt: now}
		if err := e.s.GrantConsent(ctx, id, cons, auditEvent(now, store.DefaultAuditShards, "consent.granted", "usr_1", c.ClientID)); err != nil {
			t.Fatal(err)
		}
		ev := auditEvent(now, store.DefaultAuditShards, "oauth.code_issued", "usr_1", code.ID)
		if err := e.s.CreateAuthCode(ctx, id, code, ev); err != nil {
			t.Fatalf("CreateAuthCode: %v", err)
		}
		if _, err := e.s.GetAuditEvent(ctx, id, ev.ID); err != nil {
			t.Fatalf("the code's audit event: %v", err)
		}
		return code, val
	}
	issue := func(id tenant.ID, family string, steps ...store.IssueStep) (store.TokenRecord, error) {
		now := e.s.Now()
		rec := store.TokenRecord{JTI: ids.NanoID(), ClientID: c.ClientID, Subject: "usr_1", User: "usr_1", Family: family,
			IssuedAt: now, ExpiresAt: now.Add(time.Hour), GrantType: "authorization_code"}
		return rec, e.s.IssueToken(ctx, id, store.Issuance{Token: rec, Steps: steps,
			Event: auditEvent(now, store.DefaultAuditShards, "oauth.token_issued", c.ClientID, rec.JTI)})
	}

	t.Run("code: round trip, refusals of a malformed one", func(t *testing.T) {
		code, val := newCode(t, fx.id)
		got, err := e.s.AuthCodeByHash(ctx, fx.id, ids.Hash(val))
		if err != nil || got.ID != code.ID || got.RedirectURI != code.RedirectURI || got.DPoPJKT != "jkt1" || len(got.Resources) != 1 {
			t.Fatalf("AuthCodeByHash: %+v %v", got, err)
		}
		long := code
		long.Hash, long.ExpiresAt = ids.Hash("x"), code.CreatedAt.Add(store.MaxCodeLifetime+time.Second)
		if err := e.s.CreateAuthCode(ctx, fx.id, long, auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.code_issued", "u", "c")); err == nil {
			t.Fatal("a code living longer than 60 s was stored")
		}
		noPKCE := code
		noPKCE.Hash, noPKCE.Challenge = ids.Hash("y"), ""
		if err := e.s.CreateAuthCode(ctx, fx.id, noPKCE, auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.code_issued", "u", "c")); err == nil {
			t.Fatal("a code without a challenge was stored")
		}
		wantErr(t, "same hash", e.s.CreateAuthCode(ctx, fx.id, code, auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.code_issued", "u", "c")), store.ErrConflict)
	})

	t.Run("code: expires", func(t *testing.T) {
		_, val := newCode(t, fx.id)
		e.clock.Advance(store.MaxCodeLifetime)
		_, err := e.s.AuthCodeByHash(ctx, fx.id, ids.Hash(val))
		wantErr(t, "expired code", err, store.ErrNotFound)
		if errors.Is(err, store.ErrCodeUsed) {
			t.Fatal("an expired code reads as used")
		}
	})

	t.Run("code: one use in the token's transaction, a tombstone naming it", func(t *testing.T) {
		code, val := newCode(t, fx.id)
		rec, err := issue(fx.id, "fam_a", store.ConsumeAuthCode(code, store.CodeUse{FamilyID: "fam_a", JTI: "j1", UsedAt: e.s.Now()}))
		if err != nil {
			t.Fatalf("first use: %v", err)
		}
		_, err = e.s.AuthCodeByHash(ctx, fx.id, ids.Hash(val))
		var used *store.CodeUsedError
		if !errors.As(err, &used) || !errors.Is(err, store.ErrNotFound) || used.Use.FamilyID != "fam_a" || used.Use.JTI != "j1" || used.Use.CodeID != code.ID {
			t.Fatalf("a used code: %v %+v", err, used)
		}
		rec2, err := issue(fx.id, "fam_b", store.ConsumeAuthCode(code, store.CodeUse{FamilyID: "fam_b", JTI: "j2", UsedAt: e.s.Now()}))
		wantErr(t, "second use", err, store.ErrCodeUsed)
		if _, err := e.s.GetToken(ctx, fx.id, rec2.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the refused second use wrote its token: %v", err)
		}
		if _, err := e.s.GetToken(ctx, fx.id, rec.JTI); err != nil {
			t.Fatal(err)
		}
		// The tombstone outlives the code, then goes.
		e.clock.Advance(store.MaxCodeLifetime + time.Minute)
		if _, err := e.s.AuthCodeByHash(ctx, fx.id, ids.Hash(val)); !errors.Is(err, store.ErrCodeUsed) {
			t.Fatalf("tombstone after the code's expiry: %v", err)
		}
		e.clock.Advance(store.CodeTombstoneLife)
		if _, err := e.s.AuthCodeByHash(ctx, fx.id, ids.Hash(val)); !errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrCodeUsed) {
			t.Fatalf("tombstone past its life: %v", err)
		}
	})

	t.Run("code: an expired code cannot be consumed", func(t *testing.T) {
		code, _ := newCode(t, fx.id)
		e.clock.Advance(store.MaxCodeLifetime + time.Second)
		_, err := issue(fx.id, "fam_c", store.ConsumeAuthCode(code, store.CodeUse{FamilyID: "fam_c", UsedAt: e.s.Now()}))
		wantErr(t, "expired code consumed", err, store.ErrCodeUsed)
	})

	newRefresh := func(family string) (store.RefreshToken, string) {
		now := e.s.Now()
		val := ids.NewSecret()
		return store.RefreshToken{Hash: ids.Hash(val), FamilyID: family, ClientID: c.ClientID, UserID: "usr_1", Scope: "mcp:read",
			Resources: []string{"https://mcp.test"}, JKT: "jkt1", AuthTime: now, IssuedAt: now, ExpiresAt: now.Add(24 * time.Hour)}, val
	}

	t.Run("refresh: stored by hash, rotated once, the loser of a race refused", func(t *testing.T) {
		r1, v1 := newRefresh("fam_r")
		if _, err := issue(fx.id, "fam_r", store.NewRefresh(r1)); err != nil {
			t.Fatal(err)
		}
		got, err := e.s.RefreshByHash(ctx, fx.id, ids.Hash(v1))
		if err != nil || got.FamilyID != "fam_r" || got.JKT != "jkt1" || !got.UsedAt.IsZero() || got.Version == 0 {
			t.Fatalf("RefreshByHash: %+v %v", got, err)
		}
		r2, v2 := newRefresh("fam_r")
		if _, err := issue(fx.id, "fam_r", store.RotateRefresh(got, e.s.Now(), []byte("sealed"), r2)); err != nil {
			t.Fatalf("rotate: %v", err)
		}
		r3, v3 := newRefresh("fam_r")
		rec, err := issue(fx.id, "fam_r", store.RotateRefresh(got, e.s.Now(), []byte("other"), r3))
		wantErr(t, "second rotation of one read", err, store.ErrRefreshRotated)
		if _, err := e.s.GetToken(ctx, fx.id, rec.JTI); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("the refused rotation wrote its token")
		}
		if _, err := e.s.RefreshByHash(ctx, fx.id, ids.Hash(v3)); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("the refused rotation wrote its refresh token")
		}
		old, err := e.s.RefreshByHash(ctx, fx.id, ids.Hash(v1))
		if err != nil || old.UsedAt.IsZero() || string(old.Successor) != "sealed" {
			t.Fatalf("the used record: %+v %v", old, err)
		}
		if next, err := e.s.RefreshByHash(ctx, fx.id, ids.Hash(v2)); err != nil || !next.UsedAt.IsZero() {
			t.Fatalf("the successor: %+v %v", next, err)
		}
		_ = r2
		e.clock.Advance(25 * time.Hour)
		if _, err := e.s.RefreshByHash(ctx, fx.id, ids.Hash(v2)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an expired refresh token: %v", err)
		}
	})

	t.Run("family: one marker revokes every token of the family, with its event", func(t *testing.T) {
		a, _ := issue(fx.id, "fam_x")
		b, _ := issue(fx.id, "fam_x")
		keep, _ := issue(fx.id, "fam_y")
		ev := auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.refresh_reuse_detected", c.ClientID, "fam_x")
		if err := e.s.RevokeFamily(ctx, fx.id, "fam_x", "refresh_reuse", ev); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GetAuditEvent(ctx, fx.id, ev.ID); err != nil {
			t.Fatalf("the revocation's event: %v", err)
		}
		ev2 := auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.code_reuse_detected", c.ClientID, "fam_x")
		if err := e.s.RevokeFamily(ctx, fx.id, "fam_x", "again", ev2); err != nil {
			t.Fatalf("revoking a revoked family: %v", err)
		}
		if m, err := e.s.GetFamilyRevocation(ctx, fx.id, "fam_x"); err != nil || m.Reason != "refresh_reuse" {
			t.Fatalf("the first marker is kept: %+v %v", m, err)
		}
		for _, rec := range []store.TokenRecord{a, b} {
			if act, err := e.s.TokenActivity(ctx, fx.id, rec.JTI); err != nil || act.Active || act.Reason != store.ReasonFamilyRevoked {
				t.Fatalf("a token of the revoked family: %+v %v", act, err)
			}
		}
		if act, err := e.s.TokenActivity(ctx, fx.id, keep.JTI); err != nil || !act.Active {
			t.Fatalf("a token of another family: %+v %v", act, err)
		}
	})

	t.Run("user: a cascade or deletion revokes the user's tokens issued until then", func(t *testing.T) {
		before, _ := issue(fx.id, "fam_u")
		e.clock.Advance(time.Second)
		if _, err := e.s.RevokeUserAgents(ctx, fx.id, "usr_1", "", auditEvent(e.s.Now(), store.DefaultAuditShards, "user.agents_revoked", "admin", "usr_1")); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		after, _ := issue(fx.id, "fam_u")
		if act, _ := e.s.TokenActivity(ctx, fx.id, before.JTI); act.Active || act.Reason != store.ReasonUserRevoked {
			t.Fatalf("the user's token before the cascade: %+v", act)
		}
		if act, _ := e.s.TokenActivity(ctx, fx.id, after.JTI); !act.Active {
			t.Fatalf("the user's token after the cascade: %+v", act)
		}
	})

	t.Run("isolation: another tenant sees none of it", func(t *testing.T) {
		code, val := newCode(t, fx.id)
		if _, err := e.s.AuthCodeByHash(ctx, other.id, ids.Hash(val)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's code: %v", err)
		}
		if _, err := issue(other.id, "fam_o", store.ConsumeAuthCode(code, store.CodeUse{FamilyID: "fam_o", UsedAt: e.s.Now()})); !errors.Is(err, store.ErrCodeUsed) {
			t.Fatalf("consuming another tenant's code: %v", err)
		}
		if _, err := e.s.AuthCodeByHash(ctx, fx.id, ids.Hash(val)); err != nil {
			t.Fatalf("the code after another tenant tried it: %v", err)
		}
		r, v := newRefresh("fam_iso")
		if _, err := issue(fx.id, "fam_iso", store.NewRefresh(r)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.RefreshByHash(ctx, other.id, ids.Hash(v)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's refresh token: %v", err)
		}
		if err := e.s.RevokeFamily(ctx, other.id, "fam_iso", "", auditEvent(e.s.Now(), store.DefaultAuditShards, "oauth.refresh_reuse_detected", "x", "fam_iso")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.GetFamilyRevocation(ctx, fx.id, "fam_iso"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's family marker: %v", err)
		}
		for _, f := range []error{
			e.s.CreateAuthCode(ctx, tenant.ID{}, code, store.AuditEvent{}),
			func() error { _, err := e.s.AuthCodeByHash(ctx, tenant.ID{}, code.Hash); return err }(),
			func() error { _, err := e.s.RefreshByHash(ctx, tenant.ID{}, r.Hash); return err }(),
			e.s.RevokeFamily(ctx, tenant.ID{}, "f", "", store.AuditEvent{CreatedAt: e.s.Now()}),
			func() error { _, err := e.s.GetFamilyRevocation(ctx, tenant.ID{}, "f"); return err }(),
		} {
			wantErr(t, "no tenant", f, store.ErrNoTenant)
		}
	})

	t.Run("conditions of a user's grant in the token's transaction", func(t *testing.T) { grantConditions(t, e) })
}
