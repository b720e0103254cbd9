package keys

import (
	"cmp"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sharkauth/serverless/shared/store"
)

// PublicJWK returns the public JWK of a record: kty EC, crv P-256, x, y, kid,
// alg ES256, use sig; or, for an RS256 record, kty RSA, n, e, kid, alg RS256,
// use sig. It fails with ErrBadRecord when the record's public key is not of
// its algorithm's type and size or does not match its kid.
func PublicJWK(k store.SigningKey) (jose.JSONWebKey, error) {
	pub, err := publicOf(k)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	return jose.JSONWebKey{Key: pub, KeyID: k.KID, Algorithm: k.Algorithm(), Use: "sig"}, nil
}

// PublicJWKS returns the key set a tenant publishes at now (WIRE §4): its
// current keys first, then its next keys, then the retired keys whose
// PublishUntil is after now; within each group ES256 keys before RS256 keys,
// then input order. Records of other
// states, and records whose public key does not check out (PublicJWK fails),
// are left out: a broken record must not take the tenant's JWKS down with it.
// Only public keys are ever put in the set.
func PublicJWKS(keys []store.SigningKey, now time.Time) jose.JSONWebKeySet {
	type ranked struct {
		rank, alg int
		jwk       jose.JSONWebKey
	}
	var list []ranked
	for _, k := range keys {
		rank := publishRank(k, now)
		if rank < 0 {
			continue
		}
		jwk, err := PublicJWK(k)
		if err != nil {
			continue
		}
		alg := 0
		if k.Algorithm() != store.AlgES256 {
			alg = 1
		}
		list = append(list, ranked{rank, alg, jwk})
	}
	slices.SortStableFunc(list, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.alg, b.alg))
	})
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(list))}
	for _, r := range list {
		set.Keys = append(set.Keys, r.jwk)
	}
	return set
}

// publishRank orders published keys: current, next, retired; -1 means not
// published.
func publishRank(k store.SigningKey, now time.Time) int {
	switch k.State {
	case store.KeyCurrent:
		return 0
	case store.KeyNext:
		return 1
	case store.KeyRetired:
		if k.PublishUntil.After(now) {
			return 2
		}
	}
	return -1
}

// Current returns the ES256 key that signs: CurrentFor(keys, ES256).
func Current(keys []store.SigningKey) (store.SigningKey, error) {
	return CurrentFor(keys, store.AlgES256)
}

// CurrentFor returns the key of algorithm alg that signs: the record of that
// algorithm in state current. Should a rotation have left two, it returns the
// one activated last (then the one created last, then the greater kid), so
// every caller picks the same one.
func CurrentFor(keys []store.SigningKey, alg string) (store.SigningKey, error) {
	var best store.SigningKey
	found := false
	for _, k := range keys {
		if k.State != store.KeyCurrent || k.Algorithm() != alg {
			continue
		}
		if !found || laterCurrent(k, best) {
			best, found = k, true
		}
	}
	if !found {
		return store.SigningKey{}, ErrNoCurrentKey
	}
	return best, nil
}

func laterCurrent(a, b store.SigningKey) bool {
	if c := a.ActivatedAt.Compare(b.ActivatedAt); c != 0 {
		return c > 0
	}
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c > 0
	}
	return a.KID > b.KID
}
