package token

import (
	"context"

	"github.com/sharkauth/serverless/shared/audit"
)

// clientCredentials is the client_credentials grant (WIRE §5.1): the client
// is the subject; its scopes are the ceiling; the default audience is the
// tenant's, else the client itself, within the allow-lists (else the one
// audience they leave, else invalid_target). No refresh token.
func clientCredentials(_ *Handler, _ context.Context, q *request) (decision, error) {
	c := q.client.Client
	def := []string{c.ClientID}
	if q.policy.defaultAudience != "" {
		def = []string{q.policy.defaultAudience}
	}
	return decision{
		subject:         c.ClientID,
		scopes:          c.Scopes,
		defaultAudience: def,
		substitute:      true,
		event:           audit.TokenIssued,
	}, nil
}
