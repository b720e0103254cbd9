package audit

import (
	"net"
	"net/http"
	"time"

	"github.com/sharkauth/serverless/shared/store"
)

// Event names (WIRE §8); use exactly these.
const (
	TenantCreated     = "tenant.created"
	TenantUpdated     = "tenant.updated"
	APIKeyCreated     = "api_key.created"
	APIKeyRevoked     = "api_key.revoked"
	APIKeyRotated     = "api_key.rotated"
	SigningKeyRotated = "signing_key.rotated"

	AgentCreated        = "agent.created"
	AgentUpdated        = "agent.updated"
	AgentDeactivated    = "agent.deactivated"
	AgentTokensRevoked  = "agent.tokens_revoked"
	AgentSecretRotated  = "agent.secret_rotated"
	AgentDPoPKeyRotated = "agent.dpop_key_rotated"
	TokensBulkRevoked   = "oauth.tokens_bulk_revoked"
	UserCreated         = "user.created"
	UserUpdated         = "user.updated"
	UserDeleted         = "user.deleted"
	UserAgentsRevoked   = "user.agents_revoked"
	UserPasswordSet     = "user.password_set"
	AppCreated          = "app.created"
	AppUpdated          = "app.updated"
	AppDeleted          = "app.deleted"
	AppSecretRotated    = "app.secret_rotated"
	MayActGranted       = "may_act.granted"
	MayActRevoked       = "may_act.revoked"
	// AgentPoliciesUpdated records a change of an agent's delegation policies
	// (its may-act grants, set at once); not in WIRE §8's list, which has no
	// policies route.
	AgentPoliciesUpdated = "agent.policies_updated"

	TokenIssued    = "oauth.token_issued"
	TokenExchanged = "oauth.token_exchanged"
	TokenRevoked   = "oauth.token_revoked"

	ClientRegistered    = "oauth.client_registered"
	ClientUpdated       = "oauth.client_updated"
	ClientDeleted       = "oauth.client_deleted"
	ClientSecretRotated = "oauth.client_secret_rotated"
	// Initial access tokens of dynamic registration (not in WIRE §8's list,
	// which names no event for them; every admin mutation is audited).
	InitialAccessTokenCreated = "initial_access_token.created"
	InitialAccessTokenRevoked = "initial_access_token.revoked"
)

// Actor is who caused an event.
type Actor struct {
	Type string // platform, admin_key, client, user, system
	ID   string
}

// Target is what an event is about.
type Target struct {
	Type string
	ID   string
}

// New builds a successful event caused by request r (which may be nil for
// events of the system itself, such as the first boot).
func New(r *http.Request, at time.Time, name string, actor Actor, target Target, metadata map[string]any) store.AuditEvent {
	if metadata == nil {
		metadata = map[string]any{}
	}
	shards := store.DefaultAuditShards
	if r != nil {
		if t, ok := store.TenantOf(r.Context()); ok {
			shards = t.AuditShardCount()
		}
	}
	ev := store.AuditEvent{
		ID:         store.NewAuditID(at, shards),
		Event:      name,
		ActorType:  actor.Type,
		ActorID:    actor.ID,
		TargetType: target.Type,
		TargetID:   target.ID,
		Metadata:   metadata,
		Status:     "success",
		CreatedAt:  at,
	}
	if r != nil {
		ev.IP = clientIP(r)
		ev.UserAgent = r.UserAgent()
		if len(ev.UserAgent) > 512 {
			ev.UserAgent = ev.UserAgent[:512]
		}
	}
	return ev
}

func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
