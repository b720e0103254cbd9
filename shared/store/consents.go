package store

import (
	"context"
	"errors"

	"github.com/sharkauth/serverless/shared/tenant"
)

// A consent's grant families: each authorization code exchanged under a
// consent starts a family (its access and refresh tokens); the exchange
// writes one small index item under the consent (JoinConsent) in the
// token's transaction, so revoking the consent finds its families by one
// query of its own partition and writes their markers: no scan of tokens.

// ErrConsentRevoked refuses an authorization code whose consent is gone.
var ErrConsentRevoked = errors.New("store: the consent was revoked")

// consentFamily is the index item naming a family issued under a consent.
type consentFamily struct {
	FamilyID string `json:"family_id"`
}

// maxFamiliesPerTx bounds the family markers one transaction writes (with
// their index deletions and feed items: three writes each, under the
// 100-item limit).
const maxFamiliesPerTx = 30

// JoinConsent is the step that ties a new grant family to the consent it
// was issued under (user x client x redirect URI): the consent must still
// be there (a revoked one refuses the issue with ErrConsentRevoked) and
// the family is indexed under it.
func JoinConsent(userID, clientID, redirectURI, familyID string) IssueStep {
	return consentStep{user: userID, client: clientID, redirect: redirectURI, family: familyID}
}

type consentStep struct{ user, client, redirect, family, id string }

func (st consentStep) writes(sc scope) ([]write, error) {
	if st.user == "" || st.client == "" || st.redirect == "" || st.family == "" {
		return nil, errors.New("store: consent step without user, client, redirect URI or family")
	}
	ck := consentKey(sc, st.user, st.client, st.redirect)
	idx := Item{Key: consentFamilyKey(sc, ck, st.family), Data: marshal(consentFamily{FamilyID: st.family})}
	live := check(ck, CondExists)
	if st.id != "" {
		// This consent, not merely one at its place (JoinCodeConsent).
		live.Key = consentLiveKey(sc, st.id)
	}
	return []write{live, put(idx, CondAbsent)}, nil
}

func (st consentStep) refused(i int) error {
	if i == 0 {
		return ErrConsentRevoked
	}
	return ErrConflict
}

// RevokeConsent deletes the user's consent consentID with its audit event
// (consent.revoked, made by event from the consent) and the revocation markers of every grant family issued
// under it, in one transaction (a consent with very many families has the
// rest marked in further ones). An absent consent is ErrNotFound and
// writes nothing. It answers the consent revoked.
func (s *Store) RevokeConsent(ctx context.Context, t tenant.ID, userID, consentID string, event func(Consent) AuditEvent) (Consent, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return Consent{}, err
	}
	if userID == "" || consentID == "" {
		return Consent{}, ErrNotFound
	}
	list, err := s.ListConsents(ctx, t, userID)
	if err != nil {
		return Consent{}, err
	}
	var c *Consent
	for i := range list {
		if list[i].ID == consentID {
			c = &list[i]
		}
	}
	if c == nil {
		return Consent{}, ErrNotFound
	}
	ev := event(*c)
	if ev.CreatedAt.IsZero() {
		return Consent{}, errors.New("store: consent revocation without time")
	}
	ck := consentKey(sc, c.UserID, c.ClientID, c.RedirectURI)
	fams, err := all[consentFamily](ctx, s, Query{Partition: consentFamilyPartition(sc, ck)}, nil)
	if err != nil {
		return Consent{}, err
	}
	first := fams[:min(len(fams), maxFamiliesPerTx)]
	ws := []write{del(ck, CondExists), auditWrite(sc, ev), del(consentLiveKey(sc, c.ID), CondAlways)}
	ws = append(ws, s.familyMarks(sc, ck, first, ev)...)
	err = s.transact(ctx, ws, func(int) string { return "no such consent" })
	if errors.Is(err, ErrConflict) {
		return Consent{}, ErrNotFound
	}
	if err != nil {
		return Consent{}, err
	}
	// The consent is gone: no exchange can join it any more (JoinConsent
	// checks it), so reading its index again finds every family left.
	for {
		rest, err := all[consentFamily](ctx, s, Query{Partition: consentFamilyPartition(sc, ck)}, nil)
		if err != nil || len(rest) == 0 {
			return *c, err
		}
		rest = rest[:min(len(rest), maxFamiliesPerTx)]
		if err := s.transact(ctx, s.familyMarks(sc, ck, rest, ev), func(int) string { return "family mark" }); err != nil {
			return *c, err
		}
	}
}

// familyMarks are the writes revoking families of a consent: the marker
// (kept when one exists: CondAlways on an identical meaning) and the index
// item's deletion.
func (s *Store) familyMarks(sc scope, ck Key, fams []consentFamily, ev AuditEvent) []write {
	var ws []write
	now := s.Now()
	for _, f := range fams {
		mark := FamilyRevocation{FamilyID: f.FamilyID, At: ev.CreatedAt, Reason: "consent_revoked", EventID: ev.ID}
		ws = append(ws, put(Item{Key: familyRevokedKey(sc, f.FamilyID), Data: marshal(mark)}, CondAlways),
			del(consentFamilyKey(sc, ck, f.FamilyID), CondAlways),
			feedWrite(sc, now, FeedEntry{Kind: FeedFamily, Family: f.FamilyID}))
	}
	return ws
}
