package token

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/accesstoken"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

// DefaultMaxHops is how many delegation hops a subject's may_act allows:
// the subject token's act chain must be shorter than it.
const DefaultMaxHops = 1

// tokenExchange is the RFC 8693 grant (WIRE §5.3). The subject token must be
// one of this tenant's active access tokens. The acting (authenticated)
// client must be its subject or its holder (client_id) (self-exchange, to
// narrow scope or audience), be
// named by its may_act, or hold a live may-act grant to its subject (whose
// max_hops bounds the act chain and whose scopes, if any, bound the scope);
// anything else is 403 access_denied. A client not registered for the
// exchange grant (an agent created with client_credentials only) may act
// only through a live may-act grant, else 400 unauthorized_client. The new
// token keeps the subject, narrows the scope within the subject's, and in
// delegation records the actor in act (nesting the subject's act).
type tokenExchange struct{ h *Handler }

func (g tokenExchange) decide(ctx context.Context, q *request) (decision, error) {
	f := q.form
	subjectToken := f.Get("subject_token")
	switch {
	case subjectToken == "":
		return decision{}, oauth.New(oauth.InvalidRequest, "subject_token is required")
	case oauth.TokenTypeID(f.Get("subject_token_type")) != oauth.AccessTokenType:
		return decision{}, oauth.New(oauth.InvalidRequest, "subject_token_type must be "+string(oauth.AccessTokenType))
	case f.Has("requested_token_type") && oauth.TokenTypeID(f.Get("requested_token_type")) != oauth.AccessTokenType:
		return decision{}, oauth.New(oauth.InvalidRequest, "only access tokens can be requested")
	case f.Has("actor_token") != f.Has("actor_token_type"):
		return decision{}, oauth.New(oauth.InvalidRequest, "actor_token and actor_token_type go together")
	}
	// A client not registered for the exchange may use it only as the
	// actor of a live may-act grant: without one it is unauthorized_client
	// before the subject token is even read.
	var actorGrants []store.MayActGrant
	if !q.listed {
		var err error
		if actorGrants, err = g.liveGrants(ctx, q, ""); err != nil {
			return decision{}, err
		}
		if len(actorGrants) == 0 {
			return decision{}, unlisted()
		}
	}
	subj, subjRec, err := g.activeToken(ctx, q, subjectToken)
	if err != nil {
		return decision{}, err
	}
	acting := q.client.Client.ClientID
	if f.Has("actor_token") {
		if oauth.TokenTypeID(f.Get("actor_token_type")) != oauth.AccessTokenType {
			return decision{}, oauth.New(oauth.InvalidRequest, "actor_token_type must be "+string(oauth.AccessTokenType))
		}
		actor, _, err := g.activeToken(ctx, q, f.Get("actor_token"))
		if err != nil {
			return decision{}, err
		}
		if actor.Subject != acting {
			return decision{}, oauth.New(oauth.InvalidGrant, "actor_token does not belong to the authenticated client")
		}
	}
	d := decision{
		subject:         subj.Subject,
		scopes:          strings.Fields(subj.Scope),
		defaultAudience: subj.Audience,
		limit:           time.Unix(subj.Expiry, 0).Sub(q.now),
		event:           audit.TokenExchanged,
		exchange:        true,
		metadata:        map[string]any{"subject_jti": subj.ID, "subject": subj.Subject},
		// The new token dies with every client the subject token depends
		// on: its subject and every actor of its chain (store.Decide).
		delegation: store.DelegationOf(subjRec, acting),
	}
	switch {
	case !q.listed:
		i := slices.IndexFunc(actorGrants, func(gr store.MayActGrant) bool { return gr.ToID == subj.Subject })
		if i < 0 {
			return decision{}, unlisted()
		}
		return delegate(d, q, subj, actorGrants[i])
	case subj.Subject == acting || subj.ClientID == acting:
		// Self-exchange by the subject or by the token's holder: narrower
		// scope or audience, same actor chain.
		d.act = subj.Act
		if !defaultAudience(subj, q.policy) {
			// An audience-restricted subject can only be narrowed; one
			// with the default audience may be restricted to any allowed
			// audience (the SDK's token_exchange(audience=...) example).
			d.audienceCeiling = subj.Audience
		}
	case subj.MayAct.Allows(acting):
		if subj.Act.Depth() >= DefaultMaxHops {
			return decision{}, oauth.New(oauth.AccessDenied, "the delegation chain is already at its maximum length")
		}
		act := &accesstoken.Actor{Subject: acting, Act: subj.Act}
		if q.proof != nil {
			act.Cnf = &accesstoken.Confirmation{JKT: q.proof.JKT}
		}
		d.act = act
		d.metadata["actor"] = acting
	default:
		grants, err := g.liveGrants(ctx, q, subj.Subject)
		if err != nil {
			return decision{}, err
		}
		if len(grants) == 0 {
			return decision{}, oauth.New(oauth.AccessDenied, "the client may not act for the subject token's subject")
		}
		return delegate(d, q, subj, grants[0])
	}
	return d, nil
}

// unlisted is the refusal of a client not registered for token exchange
// that holds no live may-act grant to the subject.
func unlisted() error {
	return oauth.New(oauth.UnauthorizedClient, "the client may not use grant type "+string(oauth.GrantTokenExchange)+
		" except as the actor of a live may-act grant")
}

// delegate completes d for the acting client under the may-act grant gr:
// gr's max_hops bounds the act chain, its scopes (if any) the scope, and
// the actor is recorded in act.
func delegate(d decision, q *request, subj accesstoken.Claims, gr store.MayActGrant) (decision, error) {
	maxHops := gr.MaxHops
	if maxHops <= 0 {
		maxHops = DefaultMaxHops
	}
	if subj.Act.Depth() >= maxHops {
		return decision{}, oauth.New(oauth.AccessDenied, "the delegation chain is already at the grant's max_hops")
	}
	if len(gr.Scopes) > 0 {
		d.scopes = slices.DeleteFunc(d.scopes, func(s string) bool { return !slices.Contains(gr.Scopes, s) })
	}
	acting := q.client.Client.ClientID
	act := &accesstoken.Actor{Subject: acting, Act: subj.Act}
	if q.proof != nil {
		act.Cnf = &accesstoken.Confirmation{JKT: q.proof.JKT}
	}
	d.act = act
	d.metadata["actor"] = acting
	d.metadata["may_act_grant"] = gr.ID
	return d, nil
}

// liveGrants lists the live may-act grants from the acting client (by its
// id or its client_id) to subject (to anyone when subject is "").
func (g tokenExchange) liveGrants(ctx context.Context, q *request, subject string) ([]store.MayActGrant, error) {
	c := q.client.Client
	var out []store.MayActGrant
	for _, from := range []string{c.ID, c.ClientID} {
		if from == "" {
			continue
		}
		grants, err := g.h.Store.FindGrants(ctx, q.tenant.ID, from, subject, false)
		if err != nil {
			return nil, oauth.Internal(err)
		}
		for _, gr := range grants {
			if gr.ActiveAt(q.now) && (subject == "" || gr.ToID == subject) {
				out = append(out, gr)
			}
		}
	}
	return out, nil
}

// activeToken verifies a token of this tenant and asks the store whether it
// is still active (every revocation layer); it returns the claims and the
// token's record. Any failure is invalid_grant, without saying which.
func (g tokenExchange) activeToken(ctx context.Context, q *request, raw string) (accesstoken.Claims, store.TokenRecord, error) {
	p, err := g.h.ring.Verify(ctx, q.tenant.ID, q.tenant.Issuer, raw)
	if errors.Is(err, accesstoken.ErrInvalid) {
		return accesstoken.Claims{}, store.TokenRecord{}, oauth.New(oauth.InvalidGrant, "the token is invalid")
	}
	if err != nil {
		return accesstoken.Claims{}, store.TokenRecord{}, oauth.Internal(err)
	}
	act, err := g.h.Store.TokenActivity(ctx, q.tenant.ID, p.Claims.ID)
	if err != nil {
		return accesstoken.Claims{}, store.TokenRecord{}, oauth.Internal(err)
	}
	if !act.Active || act.Token.JTI != p.Claims.ID {
		return accesstoken.Claims{}, store.TokenRecord{}, oauth.New(oauth.InvalidGrant, "the token is not active")
	}
	return p.Claims, act.Token, nil
}

// defaultAudience reports whether a token carries the audience given when
// none is requested: the tenant's default audience, else its client_id.
func defaultAudience(c accesstoken.Claims, p policy) bool {
	if len(c.Audience) != 1 {
		return false
	}
	if p.defaultAudience != "" {
		return c.Audience[0] == p.defaultAudience
	}
	return c.Audience[0] == c.ClientID
}
