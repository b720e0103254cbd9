package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/store"
)

// recs makes n fresh local records of tenant A.
func recs(t *testing.T, n int) []store.SigningKey {
	t.Helper()
	l := newTestLocal(t)
	out := make([]store.SigningKey, n)
	for i := range out {
		out[i] = mustNew(t, l, tenantA)
	}
	return out
}

func with(k store.SigningKey, state string, publishUntil time.Time) store.SigningKey {
	k.State, k.PublishUntil = state, publishUntil
	return k
}

func kidsOf(t *testing.T, keys []store.SigningKey, now time.Time) []string {
	t.Helper()
	set := PublicJWKS(keys, now)
	kids := []string{}
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	return kids
}

func TestPublicJWKSSelectsAndOrders(t *testing.T) {
	r := recs(t, 8)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER := mustDER(t, &p384.PublicKey)
	future, past := epoch.Add(time.Hour), epoch.Add(-time.Hour)

	tests := []struct {
		name string
		keys []store.SigningKey
		want []string
	}{
		{"current, then next, then retired", []store.SigningKey{
			with(r[0], store.KeyRetired, future), with(r[1], store.KeyNext, time.Time{}), with(r[2], store.KeyCurrent, time.Time{}),
		}, []string{r[2].KID, r[1].KID, r[0].KID}},
		{"retired keys keep their input order", []store.SigningKey{
			with(r[3], store.KeyRetired, future), with(r[2], store.KeyCurrent, time.Time{}), with(r[4], store.KeyRetired, future.Add(time.Hour)),
		}, []string{r[2].KID, r[3].KID, r[4].KID}},
		{"retired past PublishUntil is dropped", []store.SigningKey{
			with(r[2], store.KeyCurrent, time.Time{}), with(r[0], store.KeyRetired, past),
		}, []string{r[2].KID}},
		{"retired at exactly PublishUntil is dropped", []store.SigningKey{
			with(r[0], store.KeyRetired, epoch),
		}, []string{}},
		{"retired without PublishUntil is dropped", []store.SigningKey{
			with(r[0], store.KeyRetired, time.Time{}),
		}, []string{}},
		{"unknown and empty states are dropped", []store.SigningKey{
			with(r[0], "", time.Time{}), with(r[1], "revoked", future), with(r[5], store.KeyNext, time.Time{}),
		}, []string{r[5].KID}},
		{"record whose kid is not its key's is dropped", []store.SigningKey{
			with(store.SigningKey{KID: r[6].KID, PublicDER: r[7].PublicDER}, store.KeyCurrent, time.Time{}),
			with(r[7], store.KeyNext, time.Time{}),
		}, []string{r[7].KID}},
		{"record with a broken public key is dropped", []store.SigningKey{
			with(store.SigningKey{KID: "AAAAAAAAAAAAAAAA", PublicDER: []byte("x")}, store.KeyCurrent, time.Time{}),
		}, []string{}},
		{"P-384 record is dropped", []store.SigningKey{
			with(store.SigningKey{KID: kidOfDER(p384DER), PublicDER: p384DER}, store.KeyCurrent, time.Time{}),
		}, []string{}},
		{"no keys", nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kidsOf(t, tt.keys, epoch); !slices.Equal(got, tt.want) {
				t.Fatalf("kids %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPublicJWKSHasOnlyPublicMembers(t *testing.T) {
	r := recs(t, 3)
	keys := []store.SigningKey{
		with(r[0], store.KeyCurrent, time.Time{}),
		with(r[1], store.KeyNext, time.Time{}),
		with(r[2], store.KeyRetired, epoch.Add(time.Hour)),
	}
	out, err := json.Marshal(PublicJWKS(keys, epoch))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 3 {
		t.Fatalf("%d keys in %s", len(doc.Keys), out)
	}
	wantMembers := []string{"alg", "crv", "kid", "kty", "use", "x", "y"}
	for i, k := range doc.Keys {
		if _, ok := k["d"]; ok {
			t.Fatalf("key %d has a private member: %s", i, out)
		}
		if got := slices.Sorted(maps.Keys(k)); !slices.Equal(got, wantMembers) {
			t.Fatalf("key %d members %v, want %v", i, got, wantMembers)
		}
		if k["kty"] != "EC" || k["crv"] != "P-256" || k["alg"] != "ES256" || k["use"] != "sig" || k["kid"] != keys[i].KID {
			t.Fatalf("key %d: %v", i, k)
		}
		for _, c := range []string{"x", "y"} {
			b, err := base64.RawURLEncoding.DecodeString(k[c].(string))
			if err != nil || len(b) != 32 {
				t.Fatalf("key %d: %s is %d bytes (%v)", i, c, len(b), err)
			}
		}
	}

	empty, _ := json.Marshal(PublicJWKS(nil, epoch))
	if string(empty) != `{"keys":[]}` {
		t.Fatalf("empty set: %s", empty)
	}
}

func TestPublicJWK(t *testing.T) {
	r := recs(t, 2)
	tests := []struct {
		name    string
		rec     store.SigningKey
		wantErr error
	}{
		{"record", r[0], nil},
		{"no kid", store.SigningKey{PublicDER: r[0].PublicDER}, ErrBadRecord},
		{"kid of another key", store.SigningKey{KID: r[1].KID, PublicDER: r[0].PublicDER}, ErrBadRecord},
		{"no public key", store.SigningKey{KID: r[0].KID}, ErrBadRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jwk, err := PublicJWK(tt.rec)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err == nil && (!jwk.IsPublic() || jwk.KeyID != tt.rec.KID || !jwk.Valid()) {
				t.Fatalf("%+v", jwk)
			}
		})
	}
}

func TestCurrent(t *testing.T) {
	r := recs(t, 4)
	at := func(k store.SigningKey, state string, activated, created time.Time) store.SigningKey {
		k.State, k.ActivatedAt, k.CreatedAt = state, activated, created
		return k
	}
	t0, t1 := epoch, epoch.Add(time.Hour)
	bigger, smaller := r[2], r[3]
	if bigger.KID < smaller.KID {
		bigger, smaller = smaller, bigger
	}

	tests := []struct {
		name    string
		keys    []store.SigningKey
		want    string
		wantErr error
	}{
		{"no keys", nil, "", ErrNoCurrentKey},
		{"only next and retired", []store.SigningKey{at(r[0], store.KeyNext, t0, t0), at(r[1], store.KeyRetired, t0, t0)}, "", ErrNoCurrentKey},
		{"state spelled differently", []store.SigningKey{at(r[0], "Current", t0, t0)}, "", ErrNoCurrentKey},
		{"one current among others", []store.SigningKey{at(r[0], store.KeyNext, t1, t1), at(r[1], store.KeyCurrent, t0, t0), at(r[2], store.KeyRetired, t1, t1)}, r[1].KID, nil},
		{"two current: activated last wins", []store.SigningKey{at(r[0], store.KeyCurrent, t1, t0), at(r[1], store.KeyCurrent, t0, t1)}, r[0].KID, nil},
		{"two current, same activation: created last wins", []store.SigningKey{at(r[0], store.KeyCurrent, t0, t0), at(r[1], store.KeyCurrent, t0, t1)}, r[1].KID, nil},
		{"two current, all equal: greater kid wins", []store.SigningKey{at(smaller, store.KeyCurrent, t0, t0), at(bigger, store.KeyCurrent, t0, t0)}, bigger.KID, nil},
		{"two current, order does not matter", []store.SigningKey{at(bigger, store.KeyCurrent, t0, t0), at(smaller, store.KeyCurrent, t0, t0)}, bigger.KID, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Current(tt.keys)
			if !errors.Is(err, tt.wantErr) || got.KID != tt.want {
				t.Fatalf("got %q, %v; want %q, %v", got.KID, err, tt.want, tt.wantErr)
			}
		})
	}
}
