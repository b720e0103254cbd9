package store

import (
	"context"
	"errors"

	"github.com/sharkauth/serverless/shared/tenant"
)

// The conditions a user's grant is issued under, checked in the token's
// one transaction rather than read before it (so a code exchange and a
// refresh cost the client, the code or refresh token, and the
// transaction): the consent the code was issued under is still the one
// (JoinCodeConsent), the user's cascade marker has not moved since the
// grant was authorized (UserUnrevoked), the family is not revoked
// (FamilyLive).

// ErrUserRevoked refuses an issue whose user's cascade marker moved since
// the grant was authorized (revoke-agents, deletion of the user).
var ErrUserRevoked = errors.New("store: the user's authorization was revoked")

// ErrFamilyRevoked refuses an issue in a revoked grant family.
var ErrFamilyRevoked = errors.New("store: the grant family was revoked")

// consentLive is the item that exists while the consent consentID does:
// written with each code issued under it (CreateAuthCode, under the
// consent's version) and when it is granted (GrantConsent), deleted with
// it (RevokeConsent). A consent granted again after a revocation has a new
// id, so the codes of the old one find no item.
func consentLive(sc scope, consentID string) Item {
	return Item{Key: consentLiveKey(sc, consentID), Data: marshal(struct {
		ConsentID string `json:"consent_id"`
	}{consentID})}
}

// userMark is the version of the user's cascade marker, 0 when there is
// none. The marker is only ever written over (CondAlways), never deleted:
// its version grows with every cascade, so a version seen once is never
// seen again after a cascade.
func (s *Store) userMark(ctx context.Context, sc scope, userID string) (int64, error) {
	it, err := s.table.Get(ctx, userRevokedKey(sc, userID))
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return it.Version, nil
}

// UserMarkOf is the version of a user's cascade marker (0: none), for a
// grant authorized now: UserUnrevoked checks it did not move since.
func (s *Store) UserMarkOf(ctx context.Context, t tenant.ID, userID string) (int64, error) {
	sc, err := scopeOf(t)
	if err != nil {
		return 0, err
	}
	if userID == "" {
		return 0, errors.New("store: user mark without user")
	}
	return s.userMark(ctx, sc, userID)
}

// UserUnrevoked is the step that refuses the issue (ErrUserRevoked) when
// the user's cascade marker is no longer at version mark (0: absent), the
// version seen when the grant was authorized.
func UserUnrevoked(userID string, mark int64) IssueStep { return userStep{userID, mark} }

type userStep struct {
	user string
	mark int64
}

func (st userStep) writes(sc scope) ([]write, error) {
	if st.user == "" || st.mark < 0 {
		return nil, errors.New("store: user check without user")
	}
	cond := CondAbsent
	if st.mark > 0 {
		cond = CondVersion(st.mark)
	}
	return []write{check(userRevokedKey(sc, st.user), cond)}, nil
}

func (userStep) refused(int) error { return ErrUserRevoked }

// FamilyLive is the step that refuses the issue (ErrFamilyRevoked) when
// the family has a revocation marker.
func FamilyLive(familyID string) IssueStep { return familyStep(familyID) }

type familyStep string

func (st familyStep) writes(sc scope) ([]write, error) {
	if st == "" {
		return nil, errors.New("store: family check without family")
	}
	return []write{check(familyRevokedKey(sc, string(st)), CondAbsent)}, nil
}

func (familyStep) refused(int) error { return ErrFamilyRevoked }

// JoinCodeConsent is JoinConsent for the family a code's use starts: the
// consent must still be the one the code was issued under (its id: one
// revoked and granted again refuses the issue with ErrConsentRevoked). A
// code stored without a consent id is checked by the consent's place.
func JoinCodeConsent(c AuthCode, familyID string) IssueStep {
	return consentStep{user: c.UserID, client: c.ClientID, redirect: c.RedirectURI, family: familyID, id: c.ConsentID}
}
