package token

import (
	"context"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// Store is exactly what the token function uses of the domain store, with
// the signatures of /work/notes/contract.md; *store.Store satisfies it.
type Store interface {
	// GetTenant reads the tenant's policy when the request carries no
	// cached record (store.TenantOf).
	GetTenant(ctx context.Context, id tenant.ID) (store.Tenant, error)
	GetClient(ctx context.Context, t tenant.ID, clientID string) (store.Client, error)
	SigningKeys(ctx context.Context, t tenant.ID) ([]store.SigningKey, error)
	APIKeyByHash(ctx context.Context, t tenant.ID, hash []byte) (store.APIKey, error)
	CheckIssuable(ctx context.Context, t tenant.ID, c store.Client) error
	// IssueToken writes a token's issuance in one transaction.
	IssueToken(ctx context.Context, t tenant.ID, is store.Issuance) error
	// SpendMarks records the replay marks of a refused request.
	SpendMarks(ctx context.Context, t tenant.ID, marks []store.ReplayMark) error
	// UseMarks records the replay marks of a client assertion at
	// revocation or introspection, refusing a used one (store.ErrReplay).
	UseMarks(ctx context.Context, t tenant.ID, marks []store.ReplayMark) error
	GetToken(ctx context.Context, t tenant.ID, jti string) (store.TokenRecord, error)
	RevokeToken(ctx context.Context, t tenant.ID, jti string, ev store.AuditEvent) error
	TokenActivity(ctx context.Context, t tenant.ID, jti string) (store.Activity, error)
	// FindGrants lists the may-act grants from fromID to toID (WIRE §7.7).
	FindGrants(ctx context.Context, t tenant.ID, fromID, toID string, includeRevoked bool) ([]store.MayActGrant, error)
	// AuthCodeByHash, RefreshByHash, GetFamilyRevocation, RevokeFamily
	// and GetUserRevocation serve the user's grants (authorization_code,
	// refresh_token).
	AuthCodeByHash(ctx context.Context, t tenant.ID, hash []byte) (store.AuthCode, error)
	RefreshByHash(ctx context.Context, t tenant.ID, hash []byte) (store.RefreshToken, error)
	GetFamilyRevocation(ctx context.Context, t tenant.ID, familyID string) (store.FamilyRevocation, error)
	RevokeFamily(ctx context.Context, t tenant.ID, familyID, reason string, ev store.AuditEvent) error
	GetUserRevocation(ctx context.Context, t tenant.ID, userID string) (store.UserRevocation, error)
	// Feed reads the tenant's revocation feed (GET /oauth/revocations).
	Feed(ctx context.Context, t tenant.ID, cursor string, limit int) (store.FeedPage, error)
	UserMarkOf(ctx context.Context, t tenant.ID, userID string) (int64, error)
	// DPoPNonceSecret is the deployment's key for server DPoP nonces.
	DPoPNonceSecret(ctx context.Context) ([]byte, error)
}
