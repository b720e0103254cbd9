package admin

import (
	"errors"
	"net/http"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/store"
)

// registerTokenRevoke adds POST /api/v1/agents/{id}/tokens/{jti}/revoke:
// one token of an agent revoked (its record's L1 mark), the agent and its
// other tokens untouched, with an optional reason in the audit event. A
// token already revoked is a success that writes nothing (RFC 7009 §2.2),
// as at /oauth/revoke. Answers 204.
func (a *API) registerTokenRevoke(mux *http.ServeMux, h handle) {
	mux.Handle("POST /api/v1/agents/{id}/tokens/{jti}/revoke", h(a.revokeOneToken))
}

func (a *API) revokeOneToken(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	meta := map[string]any{"agent_id": ag.ID, "client_id": ag.ClientID}
	if err := readReason(r, meta); err != nil {
		return err
	}
	jti := r.PathValue("jti")
	if !idPattern.MatchString(jti) {
		return httpx.NotFound("unknown token")
	}
	rec, err := a.Store.GetToken(c.ctx, c.t, jti)
	if errors.Is(err, store.ErrNotFound) || err == nil && rec.ClientID != ag.ClientID {
		return httpx.NotFound("unknown token (or expired, or not this agent's)")
	}
	if err != nil {
		return storeErr(err, "")
	}
	if rec.RevokedAt.IsZero() {
		err = a.Store.RevokeToken(c.ctx, c.t, jti, c.event(audit.TokenRevoked, "token", jti, meta))
		if errors.Is(err, store.ErrNotFound) {
			return httpx.NotFound("unknown token (or expired, or not this agent's)")
		}
		if err != nil {
			return storeErr(err, "")
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readReason reads the optional body of a revocation ({"reason"} or none,
// other members refused) and puts a non-empty reason in meta.
func readReason(r *http.Request, meta map[string]any) error {
	var in struct {
		Reason *string `json:"reason"`
	}
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	if err := checkText("reason", in.Reason, 500, false); err != nil {
		return err
	}
	if in.Reason != nil && *in.Reason != "" {
		meta["reason"] = *in.Reason
	}
	return nil
}

// withReason adds the reason readReason found (if any) to meta.
func withReason(meta, reason map[string]any) map[string]any {
	if v, ok := reason["reason"]; ok {
		meta["reason"] = v
	}
	return meta
}
