package store

import (
	"encoding/json"
	"slices"
	"time"
)

// Tenant is a tenant's registry record.
type Tenant struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Hosts           []string `json:"hosts,omitempty"`
	DCRPolicy       string   `json:"dcr_policy,omitempty"`
	DefaultAudience string   `json:"default_audience,omitempty"`
	Scopes          []string `json:"scopes,omitempty"`
	// DCRScopes are the scopes a registrant may assign itself (RFC 7591
	// registration and RFC 7592 update) without an admin's say: nil (a
	// record that never set it) means DefaultDCRScopes, empty means none.
	// Read it through RegistrableScopes.
	DCRScopes *[]string `json:"dcr_scopes,omitempty"`
	// MaxTokenLifetime bounds access token lifetimes, in seconds; 0 means 3600.
	MaxTokenLifetime int64 `json:"max_token_lifetime,omitempty"`
	// Audiences is the tenant's audience allow-list; empty allows any.
	Audiences []string `json:"audiences,omitempty"`
	DPoPNonce bool     `json:"dpop_nonce,omitempty"`
	// AuditShards is how many partitions each day of the audit trail (and
	// each actor's and target's index) is spread over: 0 means 8; at most 64;
	// it may be raised, never lowered (readers merge that many shards).
	AuditShards int `json:"audit_shards,omitempty"`
	// AuditRetentionDays is how long audit events are kept (their TTL): 0
	// means 90; at most 3650.
	AuditRetentionDays int `json:"audit_retention_days,omitempty"`
	// RevokedPatterns are the client-id pattern revocations (L4).
	RevokedPatterns []PatternRevocation `json:"revoked_patterns,omitempty"`
	// RevokedKIDs are signing keys dropped by an emergency rotation: tokens they
	// signed are inactive.
	RevokedKIDs []string  `json:"revoked_kids,omitempty"`
	Disabled    bool      `json:"disabled"`
	DisabledAt  time.Time `json:"disabled_at,omitzero"`
	// RevokedBefore revokes (L5) every token issued at or before it, for
	// good: every disable and every re-enable sets it to the change's time
	// (UpdateTenant), so re-enabling revives nothing, not even a token a
	// container with a stale tenant cache issued while the tenant was
	// disabled. It only moves forward.
	RevokedBefore time.Time `json:"revoked_before,omitzero"`
	// SoftwarePublishers are the software statement issuers whose keys the
	// tenant trusts (RFC 7591 §2.3).
	SoftwarePublishers []SoftwarePublisher `json:"software_publishers,omitempty"`
	// CIMD says whether the tenant accepts clients identified by a Client ID
	// Metadata Document URL: nil (never set) means yes. Read it through
	// CIMDEnabled.
	CIMD *bool `json:"cimd,omitempty"`
	// CIMDHosts, when not empty, are the only hosts whose metadata
	// documents the tenant accepts, and CIMDDenyHosts hosts it never
	// accepts; an entry is a host name, or "*." and a domain for its
	// subdomains.
	CIMDHosts     []string  `json:"cimd_hosts,omitempty"`
	CIMDDenyHosts []string  `json:"cimd_deny_hosts,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	Version       int64     `json:"-"`
}

// DefaultDCRScopes are what a registrant may assign itself on a tenant that
// never set dcr_scopes: the scopes the MCP guide registers, nothing more.
var DefaultDCRScopes = []string{"mcp:read", "mcp:write"}

// RegistrableScopes returns the scopes a registrant may assign itself:
// DCRScopes, or DefaultDCRScopes when the tenant never set them (never
// "anything").
func (t Tenant) RegistrableScopes() []string {
	if t.DCRScopes == nil {
		return slices.Clone(DefaultDCRScopes)
	}
	return slices.Clone(*t.DCRScopes)
}

// CIMDEnabled reports whether the tenant accepts Client ID Metadata
// Document clients: on unless the tenant turned it off.
func (t Tenant) CIMDEnabled() bool { return t.CIMD == nil || *t.CIMD }

// Signing key states.
const (
	KeyNext    = "next"
	KeyCurrent = "current"
	KeyRetired = "retired"
)

// Signing key modes (DESIGN §4).
const (
	ModeLocal    = "local"
	ModeEnvelope = "envelope"
	ModeKMS      = "kms"
)

// Signing key algorithms. ES256 is every tenant's default; a tenant may also
// hold an RS256 key, for clients set to receive RS256 access tokens.
const (
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

// SigningKey is one of a tenant's signing keys: ES256 (P-256) or RS256 (RSA
// of at least 2048 bits). Each algorithm has its own next → current →
// retired states. The private key is never stored in the clear: local and
// envelope modes keep it sealed in Sealed, kms mode keeps only the KMS key id.
type SigningKey struct {
	KID       string `json:"kid"`
	State     string `json:"state"`
	Mode      string `json:"mode"`
	PublicDER []byte `json:"public_der"` // SPKI DER of the public key

	// Alg is the key's JWS algorithm: empty (ES256; every record written
	// before RS256 existed) or AlgRS256. See Algorithm.
	Alg string `json:"alg,omitempty"`

	// Sealed is the AES-GCM sealed PKCS#8 private key (local, envelope).
	Sealed []byte `json:"sealed,omitempty"`
	// WrappedDataKey is the KMS ciphertext of the data key that seals Sealed (envelope).
	WrappedDataKey []byte `json:"wrapped_data_key,omitempty"`
	// KMSKeyID is the KMS key that wraps the data key (envelope) or signs (kms).
	KMSKeyID  string    `json:"kms_key_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// ActivatedAt is when the key became current; RetiredAt when it stopped.
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	RetiredAt   time.Time `json:"retired_at,omitzero"`
	// PublishUntil is when a retired key leaves the JWKS (every token it signed has expired).
	PublishUntil time.Time `json:"publish_until,omitzero"`
	Version      int64     `json:"-"`
}

// Algorithm is the key's JWS algorithm: AlgES256 when Alg is empty.
func (k SigningKey) Algorithm() string {
	if k.Alg == "" {
		return AlgES256
	}
	return k.Alg
}

// APIKey is a tenant admin key. Only the SHA-256 of the secret is stored.
type APIKey struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Hash      []byte    `json:"hash"`
	Prefix    string    `json:"key_prefix"`
	Suffix    string    `json:"key_suffix"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	Version   int64     `json:"-"`
}

// PlatformKey is an operator key for /platform/v1. Only its SHA-256 is stored.
type PlatformKey struct {
	ID        string    `json:"id"`
	Hash      []byte    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Version   int64     `json:"-"`
}

// ClientKind says what a client is.
type ClientKind string

const (
	// KindAgent is an agent made by the admin API (POST /api/v1/agents).
	KindAgent ClientKind = "agent"
	// KindDCR is a client that registered itself (RFC 7591); an agent too.
	KindDCR ClientKind = "dcr"
	// KindApp is an application (POST /api/v1/apps), not an agent.
	KindApp ClientKind = "app"
)

// IsAgent reports whether clients of the kind are agents (their tokens
// carry agent_id; the agents API lists them).
func (k ClientKind) IsAgent() bool { return k == KindAgent || k == KindDCR }

// Client is an OAuth client of a tenant: an agent, an application or a
// dynamically registered client. Only the SHA-256 of its secret is stored.
type Client struct {
	ID            string            `json:"id"` // agent_..., app_...
	ClientID      string            `json:"client_id"`
	Kind          ClientKind        `json:"kind"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	SecretHash    []byte            `json:"secret_hash,omitempty"`
	AuthMethod    string            `json:"auth_method"`
	GrantTypes    []string          `json:"grant_types"`
	Scopes        []string          `json:"scopes"`
	Audiences     []string          `json:"audiences,omitempty"`
	RedirectURIs  []string          `json:"redirect_uris,omitempty"`
	TokenLifetime int64             `json:"token_lifetime,omitempty"`
	Metadata      map[string]any    `json:"metadata,omitempty"`
	CreatedBy     string            `json:"created_by,omitempty"`
	Active        bool              `json:"active"`
	DPoPBound     bool              `json:"dpop_bound_access_tokens,omitempty"`
	DPoPJKT       string            `json:"dpop_jkt,omitempty"`
	RevokedBefore time.Time         `json:"revoked_before,omitzero"`
	Extra         map[string]string `json:"extra,omitempty"`
	// DPoPKeyRotatedAt is when DPoPJKT last changed: every token issued at
	// or before it, bound to any key or to none, is revoked (L2), so
	// rotating back to an earlier key revives nothing. ChangeClient sets
	// it; it and RevokedBefore (revoke-all, deactivation) only move forward.
	DPoPKeyRotatedAt time.Time `json:"dpop_key_rotated_at,omitzero"`
	// JWKS holds the public keys of a private_key_jwt client.
	JWKS json.RawMessage `json:"jwks,omitempty"`
	// JWKSURI is where a private_key_jwt client publishes its keys instead
	// (fetched through shared/fetch).
	JWKSURI string `json:"jwks_uri,omitempty"`
	// AdminLimits is what an admin set on a registered (dcr) client through
	// the admin API: its RFC 7592 updates may narrow it, never widen it
	// (nil: the admin set nothing).
	AdminLimits *ClientLimits `json:"admin_limits,omitempty"`
	// RATHash is the SHA-256 of a registered client's registration access
	// token (RFC 7592); empty: the client cannot be managed through it.
	RATHash []byte `json:"rat_hash,omitempty"`
	// Registration is the client metadata as registered (RFC 7591), for
	// the read of RFC 7592; never a secret or token.
	Registration json.RawMessage `json:"registration,omitempty"`

	// AccessTokenAlg is the JWS algorithm of the access tokens issued to the
	// client: empty (ES256, the default) or AlgRS256.
	AccessTokenAlg string `json:"access_token_alg,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"-"`
}

// ClientLimits are an admin's ceiling on a registered client (a nil list:
// not set).
type ClientLimits struct {
	Scopes     *[]string `json:"scopes,omitempty"`
	GrantTypes *[]string `json:"grant_types,omitempty"`
	// DPoPBound: the admin required DPoP-bound tokens.
	DPoPBound bool `json:"dpop_bound,omitempty"`
}

// AuditEvent is one entry of a tenant's audit trail (WIRE §8).
type AuditEvent struct {
	ID         string         `json:"id"`
	Event      string         `json:"event"`
	ActorType  string         `json:"actor_type"`
	ActorID    string         `json:"actor_id"`
	TargetType string         `json:"target_type,omitempty"`
	TargetID   string         `json:"target_id,omitempty"`
	Metadata   map[string]any `json:"metadata"`
	Status     string         `json:"status"`
	IP         string         `json:"ip,omitempty"`
	UserAgent  string         `json:"user_agent,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

// DefaultMaxTokenLifetime is a tenant's token lifetime bound when it sets none.
const DefaultMaxTokenLifetime = 3600

// PatternRevocation revokes, at At, every token issued until then to a client
// whose client_id matches Pattern (a path.Match glob). ID is the audit event's.
type PatternRevocation struct {
	ID      string    `json:"id"`
	Pattern string    `json:"pattern"`
	At      time.Time `json:"at"`
}

// TokenRecord is one issued access token (L1 revocation, listing). Its item
// expires at ExpiresAt.
type TokenRecord struct {
	JTI       string    `json:"jti"`
	ClientID  string    `json:"client_id"`          // the client the token was issued to (acting client for exchange)
	AgentID   string    `json:"agent_id,omitempty"` // agent_... when the client is an agent/dcr client
	Subject   string    `json:"sub"`
	Scope     string    `json:"scope"`
	Audience  []string  `json:"aud"`
	JKT       string    `json:"jkt,omitempty"` // DPoP thumbprint when bound
	KID       string    `json:"kid"`           // signing key
	GrantType string    `json:"grant_type"`
	IssuedAt  time.Time `json:"iat"`
	ExpiresAt time.Time `json:"exp"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Version   int64     `json:"-"`
	// Delegation, for a token obtained by exchange (RFC 8693), is the
	// client_id of every client it was obtained from or through besides
	// ClientID: its subject and every actor of its act chain (DelegationOf).
	// The token is active only while each of them is (Decide).
	Delegation []string `json:"delegation,omitempty"`
	// Family, for a token of a user's grant (authorization_code and its
	// refreshes), is the grant's family: revoking it (RevokeFamily)
	// revokes the token. User is the user who granted it (its sub): the
	// user's cascade or deletion at or after the token's issue revokes it.
	Family string `json:"family,omitempty"`
	User   string `json:"user_id,omitempty"`
}

// ReplayMark is a single-use value (a DPoP proof's jti, a client assertion's
// jti) that a tenant must not accept twice before Until (the item's expiry).
type ReplayMark struct {
	Kind  string // "dpop" | "assertion"
	Value string // the jti; the store hashes it into the key
	Until time.Time
}

// User is a person of a tenant. Email is unique per tenant, compared
// case-insensitively. PasswordHash is an encoded slow hash, never shown.
type User struct {
	ID            string         `json:"id"`
	Email         string         `json:"email"`
	Name          string         `json:"name,omitempty"`
	EmailVerified bool           `json:"email_verified"`
	PasswordHash  string         `json:"password_hash,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	Version       int64          `json:"-"`
}

// UserRevocation is the marker of a user's cascade (L3): every agent the user
// created at or before At is inactive, and so is every token of those agents,
// from the moment the marker is written.
type UserRevocation struct {
	UserID  string    `json:"user_id"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"`
	EventID string    `json:"event_id"`
	Version int64     `json:"-"`
}

// MayActGrant lets FromID act for ToID in token exchange (WIRE §7.7).
type MayActGrant struct {
	ID        string    `json:"id"`
	FromID    string    `json:"from_id"`
	ToID      string    `json:"to_id"`
	MaxHops   int       `json:"max_hops"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	Version   int64     `json:"-"`
}

// SoftwarePublisher is a software statement issuer a tenant trusts: its iss
// and its public keys (a JWKS).
type SoftwarePublisher struct {
	Issuer string          `json:"iss"`
	JWKS   json.RawMessage `json:"jwks"`
}

// InitialAccessToken lets its holder register a client on a tenant whose
// registration policy requires one (RFC 7591 §3). Only its SHA-256 is stored.
type InitialAccessToken struct {
	ID        string    `json:"id"`
	Hash      []byte    `json:"hash"`
	Name      string    `json:"name,omitempty"`
	SingleUse bool      `json:"single_use"`
	Uses      int       `json:"uses"`
	ExpiresAt time.Time `json:"expires_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	UsedAt    time.Time `json:"used_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Version   int64     `json:"-"`
}

// UsableAt reports whether the token admits a registration at now.
func (k InitialAccessToken) UsableAt(now time.Time) bool {
	return k.RevokedAt.IsZero() && now.Before(k.ExpiresAt) && !(k.SingleUse && k.Uses > 0)
}
