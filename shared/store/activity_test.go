package store

import (
	"testing"
	"time"
)

// TestDecide is the five-layer decision on its own, one case per layer and
// boundary: each layer applies to the token's client and to every client a
// delegated token was obtained from or through (its subject and every actor
// of its act chain), and a revocation at an instant covers a token issued at
// that very instant (iat <= revoked-before is revoked; the same for a user's
// cascade and an agent created at its instant).
func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	now := t0.Add(time.Minute)
	tok := TokenRecord{JTI: "j", ClientID: "holder", Subject: "holder", KID: "kid", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	delegated := tok
	delegated.Subject, delegated.Delegation = "subject", []string{"subject", "first"}
	client := func(id string, mutate ...func(*Client)) *Client {
		c := &Client{ClientID: id, Active: true, CreatedBy: "usr_" + id, CreatedAt: t0.Add(-time.Hour)}
		for _, m := range mutate {
			m(c)
		}
		return c
	}
	live := func(id string) Party { return Party{Client: client(id)} }
	parties := func(mutate map[string]Party) map[string]Party {
		out := map[string]Party{"subject": live("subject"), "first": live("first")}
		for k, v := range mutate {
			if v.Client == nil && v.User == nil {
				delete(out, k)
				continue
			}
			out[k] = v
		}
		return out
	}
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	revokedBefore := func(at time.Time) func(*Client) { return func(c *Client) { c.RevokedBefore = at } }
	rotated := func(at time.Time) func(*Client) { return func(c *Client) { c.DPoPKeyRotatedAt = at } }
	inactive := func(c *Client) { c.Active = false }
	cascade := func(id string, at time.Time) *UserRevocation { return &UserRevocation{UserID: "usr_" + id, At: at} }
	gone := Party{}

	cases := []struct {
		name   string
		rec    TokenRecord
		rv     Revocations
		reason string // "" means active
		party  string // the client the reason is about, when not the token's own
	}{
		{name: "active", rec: tok, rv: Revocations{Client: client("holder")}},
		{name: "expired at exp", rec: tok, rv: Revocations{Client: client("holder")}, reason: ReasonExpired},
		{name: "L1 revoked by jti", rec: func() TokenRecord { r := tok; r.RevokedAt = at(time.Second); return r }(), rv: Revocations{Client: client("holder")}, reason: ReasonRevoked},
		{name: "L2 client gone", rec: tok, rv: Revocations{}, reason: ReasonClientInactive},
		{name: "L2 client inactive", rec: tok, rv: Revocations{Client: client("holder", inactive)}, reason: ReasonClientInactive},
		{name: "L2 revoke-all at the token's instant", rec: tok, rv: Revocations{Client: client("holder", revokedBefore(t0))}, reason: ReasonClientRevoked},
		{name: "L2 revoke-all a microsecond before the token", rec: tok, rv: Revocations{Client: client("holder", revokedBefore(at(-time.Microsecond)))}},
		{name: "L2 DPoP key rotated at the token's instant", rec: tok, rv: Revocations{Client: client("holder", rotated(t0))}, reason: ReasonDPoPKeyRotated},
		{name: "L2 DPoP key rotated back to the token's key", rec: func() TokenRecord { r := tok; r.JKT = "k1"; return r }(),
			rv: Revocations{Client: client("holder", rotated(at(time.Second)), func(c *Client) { c.DPoPJKT = "k1" })}, reason: ReasonDPoPKeyRotated},
		{name: "L2 token of the current key issued after the rotation", rec: func() TokenRecord { r := tok; r.JKT = "k1"; return r }(),
			rv: Revocations{Client: client("holder", rotated(at(-time.Microsecond)), func(c *Client) { c.DPoPJKT = "k1" })}},
		{name: "L2 a Bearer token of a client with a registered key", rec: tok,
			rv: Revocations{Client: client("holder", func(c *Client) { c.DPoPJKT = "k1" })}, reason: ReasonDPoPKeyRotated},
		{name: "L3 user cascade", rec: tok, rv: Revocations{Client: client("holder"), User: cascade("holder", at(time.Second))}, reason: ReasonUserRevoked},
		{name: "L3 agent created at the cascade's instant", rec: tok,
			rv: Revocations{Client: client("holder", func(c *Client) { c.CreatedAt = t0 }), User: cascade("holder", t0)}, reason: ReasonUserRevoked},
		{name: "L3 agent created a microsecond after the cascade", rec: tok,
			rv: Revocations{Client: client("holder", func(c *Client) { c.CreatedAt = t0 }), User: cascade("holder", at(-time.Microsecond))}},
		{name: "L3 another user's marker", rec: tok, rv: Revocations{Client: client("holder"), User: cascade("someone", at(time.Second))}},
		{name: "L4 pattern at the token's instant", rec: tok,
			rv: Revocations{Client: client("holder"), Tenant: Tenant{RevokedPatterns: []PatternRevocation{{Pattern: "hold*", At: t0}}}}, reason: ReasonPatternRevoked},
		{name: "L4 pattern before the token", rec: tok,
			rv: Revocations{Client: client("holder"), Tenant: Tenant{RevokedPatterns: []PatternRevocation{{Pattern: "hold*", At: at(-time.Microsecond)}}}}},
		{name: "L5 tenant disabled", rec: tok, rv: Revocations{Client: client("holder"), Tenant: Tenant{Disabled: true}}, reason: ReasonTenantDisabled},
		{name: "L5 re-enabled tenant: the disable's tokens stay revoked", rec: tok,
			rv: Revocations{Client: client("holder"), Tenant: Tenant{RevokedBefore: at(time.Second)}}, reason: ReasonTenantDisabled},
		{name: "L5 re-enabled at the token's instant", rec: tok, rv: Revocations{Client: client("holder"), Tenant: Tenant{RevokedBefore: t0}}, reason: ReasonTenantDisabled},
		{name: "L5 token issued after the re-enable", rec: tok, rv: Revocations{Client: client("holder"), Tenant: Tenant{RevokedBefore: at(-time.Microsecond)}}},
		{name: "revoked signing key", rec: tok, rv: Revocations{Client: client("holder"), Tenant: Tenant{RevokedKIDs: []string{"kid"}}}, reason: ReasonKeyRevoked},

		{name: "delegated: active", rec: delegated, rv: Revocations{Client: client("holder"), Delegation: parties(nil)}},
		{name: "delegated: subject gone", rec: delegated, rv: Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"subject": gone})},
			reason: ReasonClientInactive, party: "subject"},
		{name: "delegated: subject deactivated", rec: delegated,
			rv:     Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"subject": {Client: client("subject", inactive)}})},
			reason: ReasonClientInactive, party: "subject"},
		{name: "delegated: subject revoke-all", rec: delegated,
			rv:     Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"subject": {Client: client("subject", revokedBefore(t0))}})},
			reason: ReasonClientRevoked, party: "subject"},
		{name: "delegated: subject revoke-all before the exchange", rec: delegated,
			rv: Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"subject": {Client: client("subject", revokedBefore(at(-time.Second)))}})}},
		{name: "delegated: subject's user cascade", rec: delegated,
			rv:     Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"subject": {Client: client("subject"), User: cascade("subject", at(time.Second))}})},
			reason: ReasonUserRevoked, party: "subject"},
		{name: "delegated: subject's DPoP key rotated", rec: delegated,
			rv:     Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"subject": {Client: client("subject", rotated(at(time.Second)))}})},
			reason: ReasonDPoPKeyRotated, party: "subject"},
		{name: "delegated: the subject's current key is not the token's", rec: delegated,
			rv: Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"subject": {Client: client("subject", func(c *Client) { c.DPoPJKT = "other" })}})}},
		{name: "delegated: an earlier actor gone", rec: delegated, rv: Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"first": gone})},
			reason: ReasonClientInactive, party: "first"},
		{name: "delegated: an earlier actor's user cascade", rec: delegated,
			rv:     Revocations{Client: client("holder"), Delegation: parties(map[string]Party{"first": {Client: client("first"), User: cascade("first", t0)}})},
			reason: ReasonUserRevoked, party: "first"},
		{name: "delegated: an earlier actor by pattern", rec: delegated,
			rv:     Revocations{Client: client("holder"), Delegation: parties(nil), Tenant: Tenant{RevokedPatterns: []PatternRevocation{{Pattern: "fir?t", At: t0}}}},
			reason: ReasonPatternRevoked, party: "first"},
		{name: "delegated: the acting client revoked", rec: delegated, rv: Revocations{Client: client("holder", revokedBefore(t0)), Delegation: parties(nil)},
			reason: ReasonClientRevoked},
		{name: "delegated: no record of a party fails closed", rec: delegated, rv: Revocations{Client: client("holder")},
			reason: ReasonClientInactive, party: "subject"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			when := now
			if c.reason == ReasonExpired {
				when = c.rec.ExpiresAt
			}
			got := Decide(c.rec, c.rv, when)
			if got.Active != (c.reason == "") || got.Reason != c.reason || got.Party != c.party {
				t.Fatalf("Decide: active=%v reason=%q party=%q, want reason %q party %q", got.Active, got.Reason, got.Party, c.reason, c.party)
			}
			if got.Token.JTI != c.rec.JTI {
				t.Fatalf("Decide lost the record: %+v", got.Token)
			}
		})
	}
}

// TestDelegationOf: a token obtained from a subject token depends on the
// subject token's holder and on everything it depended on, once each, never
// on the acting client itself (its layers apply as the token's own client).
func TestDelegationOf(t *testing.T) {
	cases := []struct {
		name   string
		subj   TokenRecord
		acting string
		want   []string
	}{
		{"delegation of a client_credentials token", TokenRecord{ClientID: "s", Subject: "s"}, "a", []string{"s"}},
		{"self-exchange", TokenRecord{ClientID: "s", Subject: "s"}, "s", nil},
		{"a second hop", TokenRecord{ClientID: "a", Subject: "s", Delegation: []string{"s"}}, "b", []string{"a", "s"}},
		{"self-exchange by the holder keeps the chain", TokenRecord{ClientID: "b", Subject: "s", Delegation: []string{"a", "s"}}, "b", []string{"a", "s"}},
		{"self-exchange by the subject keeps the actors", TokenRecord{ClientID: "a", Subject: "s", Delegation: []string{"s"}}, "s", []string{"a"}},
		{"a chain back through an earlier actor", TokenRecord{ClientID: "b", Subject: "s", Delegation: []string{"a", "s"}}, "a", []string{"b", "s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DelegationOf(c.subj, c.acting)
			if len(got) != len(c.want) {
				t.Fatalf("DelegationOf = %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("DelegationOf = %q, want %q", got, c.want)
				}
			}
		})
	}
}
