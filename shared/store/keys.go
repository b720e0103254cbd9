package store

import (
	"errors"
	"fmt"
	"strconv"
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
//	signing key          T#<t>#SIGNKEY                    <kid>
//	admin key            T#<t>#APIKEY                     <key id>
//	admin key by hash    T#<t>#APIKEYHASH#<sha256>        APIKEYHASH
//	client               T#<t>#CLIENT#<client_id>         CLIENT             T#<t>#CLIENTS / <created>#<client_id>
//	client by id         T#<t>#CLIENTID#<id>              CLIENTID
//	audit event          T#<t>#AUDIT#<yyyy-mm-dd>         <unix nanos>#<id>

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
func auditPartition(s scope, day time.Time) string {
	return s.pkOf("AUDIT", day.UTC().Format(time.DateOnly))
}
func auditSK(at time.Time, id string) string { return sortableTime(at) + "#" + id }

// sortableTime renders t as fixed-width unix nanoseconds, so string order is time order.
func sortableTime(t time.Time) string {
	return fmt.Sprintf("%019s", strconv.FormatInt(t.UnixNano(), 10))
}
