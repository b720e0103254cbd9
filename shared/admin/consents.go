package admin

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
)

func (a *API) registerConsents(mux *http.ServeMux, h handle) {
	mux.Handle("GET /api/v1/users/{id}/consents", h(a.listUserConsents))
	mux.Handle("DELETE /api/v1/users/{id}/consents/{consent_id}", h(a.revokeUserConsent))
}

// consentJSON is a user's consent to a client at one redirect URI.
type consentJSON struct {
	ID          string    `json:"id"`
	UserID      string    `json:"user_id"`
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Scopes      []string  `json:"scopes"`
	Resources   []string  `json:"resources"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func consentView(c store.Consent) consentJSON {
	return consentJSON{ID: c.ID, UserID: c.UserID, ClientID: c.ClientID, RedirectURI: c.RedirectURI,
		Scopes: nonNil(c.Scopes), Resources: nonNil(c.Resources), CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// consents reads a user's consents, oldest first (an unknown user: 404).
func (a *API) consents(c call) ([]store.Consent, error) {
	u, err := a.user(c)
	if err != nil {
		return nil, err
	}
	list, err := a.Store.ListConsents(c.ctx, c.t, u.ID)
	if err != nil {
		return nil, storeErr(err, "")
	}
	slices.SortFunc(list, func(x, y store.Consent) int {
		if d := x.CreatedAt.Compare(y.CreatedAt); d != 0 {
			return d
		}
		return strings.Compare(x.ID, y.ID)
	})
	return list, nil
}

func (a *API) listUserConsents(w http.ResponseWriter, r *http.Request, c call) error {
	list, err := a.consents(c)
	if err != nil {
		return err
	}
	data := make([]consentJSON, 0, len(list))
	for _, cn := range list {
		data = append(data, consentView(cn))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(data)})
	return nil
}

// revokeUserConsent revokes one consent: it is deleted with its audit event
// (consent.revoked) and every grant family issued under it (their access
// and refresh tokens) in one transaction. The user consents again at the
// next authorization.
func (a *API) revokeUserConsent(w http.ResponseWriter, r *http.Request, c call) error {
	userID, id := r.PathValue("id"), r.PathValue("consent_id")
	if !idPattern.MatchString(userID) || !idPattern.MatchString(id) {
		return httpx.NotFound("unknown consent")
	}
	_, err := a.Store.RevokeConsent(c.ctx, c.t, userID, id, func(cn store.Consent) store.AuditEvent {
		return c.event(audit.ConsentRevoked, "consent", cn.ID, map[string]any{"user_id": cn.UserID, "client_id": cn.ClientID, "redirect_uri": cn.RedirectURI})
	})
	if err != nil {
		return storeErr(err, "unknown consent")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeAllConsents revokes every consent of a user (revoke-agents without
// agent_ids), each with its event; it answers how many it revoked. A
// consent revoked meanwhile by another call is not counted.
func (a *API) revokeAllConsents(c call, userID string) (int, error) {
	list, err := a.Store.ListConsents(c.ctx, c.t, userID)
	if err != nil {
		return 0, storeErr(err, "")
	}
	n := 0
	for _, cn := range list {
		_, err := a.Store.RevokeConsent(c.ctx, c.t, userID, cn.ID, func(cn store.Consent) store.AuditEvent {
			return audit.New(c.r, c.now, audit.ConsentRevoked, audit.Actor{Type: "user", ID: userID}, audit.Target{Type: "consent", ID: cn.ID},
				map[string]any{"user_id": cn.UserID, "client_id": cn.ClientID, "redirect_uri": cn.RedirectURI, "admin_key_id": c.keyID})
		})
		switch {
		case err == nil:
			n++
		case !errors.Is(err, store.ErrNotFound):
			return n, storeErr(err, "")
		}
	}
	return n, nil
}

// authorizedAgents lists the clients a user consented to, once each in the
// order of the first consent: a registered client as the agent it is, a
// client id metadata document (never stored) by its client_id alone.
func (a *API) authorizedAgents(c call, userID string) ([]agentJSON, error) {
	list, err := a.consents(c)
	if err != nil {
		return nil, err
	}
	var seen []string
	out := []agentJSON{}
	for _, cn := range list {
		if slices.Contains(seen, cn.ClientID) {
			continue
		}
		seen = append(seen, cn.ClientID)
		cl, err := a.Store.GetClient(c.ctx, c.t, cn.ClientID)
		switch {
		case err == nil:
			out = append(out, agentView(cl))
		case errors.Is(err, store.ErrNotFound):
			if strings.HasPrefix(cn.ClientID, "https://") {
				out = append(out, documentAgentView(cn))
			} // a deleted client: nothing to show
		default:
			return nil, storeErr(err, "")
		}
	}
	return out, nil
}

// documentAgentView shows a client known by its metadata document's URL
// (CIMD: public, never stored as a registered client).
func documentAgentView(cn store.Consent) agentJSON {
	v := agentView(store.Client{ClientID: cn.ClientID, Name: cn.ClientID, AuthMethod: string(oauth.AuthNone),
		RedirectURIs: []string{cn.RedirectURI}, Active: true, CreatedAt: cn.CreatedAt, UpdatedAt: cn.UpdatedAt})
	v.Kind, v.ClientType = "metadata_document", "public"
	return v
}
