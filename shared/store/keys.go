package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/tenant"
)

// This file is the only place that builds table keys. Every key begins with a
// scope: "T#<tenant>" for a tenant's items, or "T#~platform" for the platform's
// own (the tenant registry index, host names, platform keys, secrets). Tenant
// ids cannot contain "~", so the platform scope never collides with a tenant.
//
//	item                 PK                               SK                 GSI1PK / GSI1SK
//	tenant               T#<t>#TENANT                     TENANT             T#~platform#TENANTS / <t>
//	host name            T#~platform#HOST#<host>          HOST
//	platform key         T#~platform#PLATKEY#<sha256>     PLATKEY
//	cursor secret        T#~platform#SECRET               cursor
//	DPoP nonce secret    T#~platform#SECRET               dpop-nonce
//	signing key          T#<t>#SIGNKEY                    <kid>
//	admin key            T#<t>#APIKEY                     <key id>
//	admin key by hash    T#<t>#APIKEYHASH#<sha256>        APIKEYHASH
//	client               T#<t>#CLIENT#<client_id>         CLIENT             T#<t>#CLIENTS / <created>#<client_id>
//	client by id         T#<t>#CLIENTID#<id>              CLIENTID
//	audit event          T#<t>#AUDIT#<yyyy-mm>#<shard>    <unix nanos>#<id>   T#<t>#AUDITACTOR#<actor>#<shard> / <unix nanos>#<id>
//	audit by target      T#<t>#AUDITTARGET#<target>#<shard> <unix nanos>#<id>
//	agent of a user      T#<t>#USERAGENTS#<user id>       <client_id>
//	user                 T#<t>#USER#<id>                  USER               T#<t>#USERS / <created>#<id>
//	user by email        T#<t>#EMAIL#<lowercased email>   EMAIL
//	user cascade marker  T#<t>#USERREVOKED#<user id>      USERREVOKED
//	issued token (before T#<t>#TOKEN#<jti>                TOKEN              T#<t>#CLIENTTOKENS#<client_id> / <iat>#<jti>
//	  the token item)
//	token item           T#<t>#TOKEN2#<jti's random part> T                  T#<t>#CLIENTTOKENS#<client_id> / <event unix nanos>#<event id>
//	  (token + its issue event; GSI2: T#<t>#AUDIT#<yyyy-mm>#<shard> / <event unix nanos>#<event id>;
//	  a spent DPoP proof's placeholder sits at the key its proof derives, without index keys)
//	replay mark          T#<t>#REPLAY#<kind>#<sha256>     REPLAY
//	initial access token T#<t>#IAT#<sha256>              IAT                T#<t>#IATS / <created>#<id>
//	  by id              T#<t>#IATID#<id>                 IATID
//	rate counter shard   T#<t>#RATE#<sha256 of name>      <window start>#<shard>
//	authorization code   T#<t>#CODE#<sha256>             CODE
//	used code tombstone  T#<t>#CODEUSED#<sha256>         CODEUSED
//	refresh token        T#<t>#REFRESH#<sha256>          REFRESH
//	family revocation    T#<t>#FAMILYREVOKED#<family>    FAMILYREVOKED
//	may-act grant        T#<t>#MAYACT                     <grant id>         T#<t>#MAYACTFROM#<from id> / <to id>#<grant id>
//	sign-in session      T#<t>#SESSION#<sha256 of cookie> SESSION
//	consent              T#<t>#CONSENT#<user id>          <sha256 of client_id, redirect_uri>
//	consent's family     T#<t>#CONSENTFAM#<user id>#<consent sk> <family id>
//	revocation feed item T#<t>#FEED                       <unix nanos>#<kind>#<digest>
//	consent live (by id) T#<t>#CONSENTLIVE#<consent id>   CONSENTLIVE

// ErrNoTenant is returned when a tenant-scoped method is called without one.
var ErrNoTenant = errors.New("store: no tenant")

// scope is the prefix every key of one tenant (or of the platform) starts with.
type scope string

const platform scope = "T#~platform"

func scopeOf(t tenant.ID) (scope, error) {
	if t.IsZero() {
		return "", ErrNoTenant
	}
	return scope("T#" + t.String()), nil
}

func (s scope) pk(kind string) string       { return string(s) + "#" + kind }
func (s scope) pkOf(kind, id string) string { return string(s) + "#" + kind + "#" + id }
func (s scope) key(kind, id, sk string) Key { return Key{PK: s.pkOf(kind, id), SK: sk} }

func tenantKey(s scope) Key                 { return Key{PK: s.pk("TENANT"), SK: "TENANT"} }
func tenantIndex() string                   { return platform.pk("TENANTS") }
func hostKey(host string) Key               { return platform.key("HOST", host, "HOST") }
func platformKeyKey(hashHex string) Key     { return platform.key("PLATKEY", hashHex, "PLATKEY") }
func cursorSecretKey() Key                  { return Key{PK: platform.pk("SECRET"), SK: "cursor"} }
func dpopNonceSecretKey() Key               { return Key{PK: platform.pk("SECRET"), SK: "dpop-nonce"} }
func signingKeyKey(s scope, kid string) Key { return Key{PK: s.pk("SIGNKEY"), SK: kid} }
func signingKeyPartition(s scope) string    { return s.pk("SIGNKEY") }
func apiKeyKey(s scope, id string) Key      { return Key{PK: s.pk("APIKEY"), SK: id} }
func apiKeyPartition(s scope) string        { return s.pk("APIKEY") }
func apiKeyHashKey(s scope, hashHex string) Key {
	return s.key("APIKEYHASH", hashHex, "APIKEYHASH")
}
func clientKey(s scope, clientID string) Key { return s.key("CLIENT", clientID, "CLIENT") }
func clientIDKey(s scope, id string) Key     { return s.key("CLIENTID", id, "CLIENTID") }
func clientIndex(s scope) string             { return s.pk("CLIENTS") }
func clientIndexSK(created time.Time, clientID string) string {
	return sortableTime(created) + "#" + clientID
}
func userAgentsPartition(s scope, userID string) string { return s.pkOf("USERAGENTS", userID) }
func userAgentKey(s scope, userID, clientID string) Key {
	return Key{PK: userAgentsPartition(s, userID), SK: clientID}
}
func userKey(s scope, id string) Key { return s.key("USER", id, "USER") }
func userIndex(s scope) string       { return s.pk("USERS") }
func userIndexSK(created time.Time, id string) string {
	return sortableTime(created) + "#" + id
}
func emailKey(s scope, email string) Key                { return s.key("EMAIL", strings.ToLower(email), "EMAIL") }
func userRevokedKey(s scope, userID string) Key         { return s.key("USERREVOKED", userID, "USERREVOKED") }
func tokenKey(s scope, jti string) Key                  { return s.key("TOKEN", jti, "TOKEN") }
func clientTokensIndex(s scope, clientID string) string { return s.pkOf("CLIENTTOKENS", clientID) }

// tokenItemKey is the token item of the jti whose random part (ids.RandomPart)
// is random: the token and its issue event, or a spent DPoP proof's
// placeholder (tokenitem.go).
func tokenItemKey(s scope, random string) Key { return s.key("TOKEN2", random, "T") }
func clientTokensSK(iat time.Time, jti string) string {
	return sortableTime(iat) + "#" + jti
}
func replayKey(s scope, kind, value string) Key {
	h := sha256.Sum256([]byte(value))
	return s.key("REPLAY", kind+"#"+hex.EncodeToString(h[:]), "REPLAY")
}
func feedPartition(s scope) string { return s.pk("FEED") }
func feedSK(at time.Time, suffix string) string {
	if suffix == "" {
		return sortableTime(at)
	}
	return sortableTime(at) + "#" + suffix
}
func feedKey(s scope, at time.Time, suffix string) Key {
	return Key{PK: feedPartition(s), SK: feedSK(at, suffix)}
}
func mayActPartition(s scope) string                { return s.pk("MAYACT") }
func mayActKey(s scope, id string) Key              { return Key{PK: mayActPartition(s), SK: id} }
func mayActFromIndex(s scope, fromID string) string { return s.pkOf("MAYACTFROM", fromID) }
func mayActFromSK(toID, id string) string           { return toID + "#" + id }

// The audit trail is sharded (DESIGN §3): an event lives in the partition of
// its UTC month and its shard (encoded in its id), and so do its actor index
// entry and its target item, so that no tenant's, actor's or target's traffic
// piles into one partition. Shards spread the write load; the month bucket
// bounds how many partitions a reader visits (a 90-day window is at most four
// per shard). The sort key orders a tenant's events by time,
// then id, the same way in every partition.
func auditPartition(s scope, at time.Time, shard int) string {
	// One allocation: s#AUDIT#<yyyy-mm>#<shard> (a token's item is in it).
	var buf [64]byte
	b := append(buf[:0], "#AUDIT#"...)
	b = at.UTC().AppendFormat(b, "2006-01")
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(shard), 10)
	return string(s) + string(b)
}
func auditActorIndex(s scope, actor string, shard int) string {
	return s.pkOf("AUDITACTOR", actor+"#"+strconv.Itoa(shard))
}
func auditTargetPartition(s scope, target string, shard int) string {
	return s.pkOf("AUDITTARGET", target+"#"+strconv.Itoa(shard))
}
func auditSK(at time.Time, id string) string {
	var buf [20]byte
	return string(appendSortableTime(buf[:0], at)) + "#" + id
}

func iatKey(s scope, hashHex string) Key { return s.key("IAT", hashHex, "IAT") }
func iatIDKey(s scope, id string) Key    { return s.key("IATID", id, "IATID") }
func iatIndex(s scope) string            { return s.pk("IATS") }
func iatIndexSK(created time.Time, id string) string {
	return sortableTime(created) + "#" + id
}

// rateWindow is where the shards of one window of a rate counter live: a
// partition and the sort-key prefix they share.
func rateWindow(s scope, name string, window time.Time) (partition, prefix string) {
	h := sha256.Sum256([]byte(name))
	return s.pkOf("RATE", hex.EncodeToString(h[:])), sortableTime(window) + "#"
}

// rateShardKey is shard i of one window of a rate counter.
func rateShardKey(s scope, name string, window time.Time, i int) Key {
	pk, prefix := rateWindow(s, name, window)
	return Key{PK: pk, SK: fmt.Sprintf("%s%02d", prefix, i)}
}

func sessionKey(s scope, hash []byte) Key {
	return s.key("SESSION", hex.EncodeToString(hash), "SESSION")
}
func consentPartition(s scope, userID string) string {
	return s.pkOf("CONSENT", userID)
}
func consentKey(s scope, userID, clientID, redirectURI string) Key {
	h := sha256.Sum256([]byte(clientID + "\x00" + redirectURI))
	return Key{PK: consentPartition(s, userID), SK: hex.EncodeToString(h[:])}
}

// consentFamilyPartition holds the grant families issued under the consent
// whose key is ck (JoinConsent, RevokeConsent).
func consentFamilyPartition(s scope, ck Key) string {
	return s.pkOf("CONSENTFAM", strings.TrimPrefix(ck.PK, consentPartition(s, ""))+"#"+ck.SK)
}

// consentLiveKey exists while the consent consentID does (grantlive.go).
func consentLiveKey(s scope, consentID string) Key {
	return s.key("CONSENTLIVE", consentID, "CONSENTLIVE")
}
func consentFamilyKey(s scope, ck Key, familyID string) Key {
	return Key{PK: consentFamilyPartition(s, ck), SK: familyID}
}

// sortableTime renders t as fixed-width unix nanoseconds, so string order is time order.
func sortableTime(t time.Time) string {
	var buf [20]byte
	return string(appendSortableTime(buf[:0], t))
}

// appendSortableTime appends sortableTime(t): t's unix nanos in decimal,
// zero-padded on the left to 19 characters (as fmt's %019s pads the
// decimal string, a minus sign included).
func appendSortableTime(b []byte, t time.Time) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], t.UnixNano(), 10)
	for i := len(d); i < 19; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}

func codeKey(s scope, hash []byte) Key { return s.key("CODE", hex.EncodeToString(hash), "CODE") }
func codeUsedKey(s scope, hash []byte) Key {
	return s.key("CODEUSED", hex.EncodeToString(hash), "CODEUSED")
}
func refreshKey(s scope, hash []byte) Key {
	return s.key("REFRESH", hex.EncodeToString(hash), "REFRESH")
}
func familyRevokedKey(s scope, familyID string) Key {
	return s.key("FAMILYREVOKED", familyID, "FAMILYREVOKED")
}
