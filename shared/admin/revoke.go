package admin

import (
	"net/http"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/store"
)

// revokeByPattern is the bulk revocation (L4): one write on the tenant record
// makes every token issued so far to a client whose client_id matches the glob
// inactive; the count reports the tokens that were active.
func (a *API) revokeByPattern(w http.ResponseWriter, r *http.Request, c call) error {
	var in struct {
		Pattern *string `json:"client_id_pattern"`
		Reason  *string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Pattern == nil || *in.Pattern == "" {
		return required("client_id_pattern")
	}
	if len(*in.Pattern) > 200 || !store.ValidPattern(*in.Pattern) {
		return invalid("client_id_pattern", "is not a glob (*, ?, [...])")
	}
	if err := checkText("reason", in.Reason, 500, false); err != nil {
		return err
	}
	reason := ""
	if in.Reason != nil {
		reason = *in.Reason
	}
	matched, err := a.Store.ClientsMatching(c.ctx, c.t, *in.Pattern)
	if err != nil {
		return storeErr(err, "")
	}
	count := 0
	for _, cl := range matched {
		n, err := a.activeTokens(c, cl)
		if err != nil {
			return storeErr(err, "")
		}
		count += n
	}
	ev := c.event(audit.TokensBulkRevoked, "client_id_pattern", *in.Pattern, map[string]any{
		"client_id_pattern": *in.Pattern, "reason": reason, "revoked_count": count, "matched_clients": len(matched),
	})
	if _, err := a.Store.RevokePattern(c.ctx, c.t, *in.Pattern, ev); err != nil {
		return storeErr(err, "unknown tenant")
	}
	if a.Tenants != nil {
		a.Tenants.Forget()
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"revoked_count": count, "audit_event_id": ev.ID, "pattern_matched": *in.Pattern, "matched_clients": len(matched),
	})
	return nil
}
