package register

import (
	"errors"
	"maps"
	"net/http"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// dummyRAT is compared against when the client is unknown or has no RAT, so
// those paths cost what a wrong token costs.
var dummyRAT = ids.Hash("shark-dummy-registration-access-token")

// managed authenticates an RFC 7592 request: the Bearer registration
// access token of the client named in the path, on this tenant, while the
// client is active: an admin's deactivation ends self-management, also for
// a client deactivated before deactivation revoked the RAT. Every failure
// is the same 401 invalid_token.
func (h *Handler) managed(r *http.Request, t tenant.Tenant) (store.Client, error) {
	tok, _ := bearer(r)
	clientID := r.PathValue("client_id")
	c, err := h.Store.GetClient(r.Context(), t.ID, clientID)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return c, oauth.Internal(err)
	}
	want := dummyRAT
	if found && len(c.RATHash) > 0 {
		want = c.RATHash
	}
	match := ids.Matches(tok, want)
	if tok == "" || !found || c.Kind != store.KindDCR || !c.Active || len(c.RATHash) == 0 || !match {
		return store.Client{}, invalidToken(t, "the registration access token is missing or invalid")
	}
	return c, nil
}

// read is GET /oauth/register/{client_id} (RFC 7592 §2.1).
func (h *Handler) read(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	c, err := h.managed(r, t)
	if err != nil {
		return err
	}
	oauth.WriteJSON(w, http.StatusOK, document(t, c, registered(c), "", ""))
	return nil
}

// change applies mutate to the managed client with the event named name.
func (h *Handler) change(r *http.Request, t tenant.Tenant, c store.Client, name string, md map[string]any, mutate func(*store.Client) error) (store.Client, error) {
	now := h.now().Truncate(time.Microsecond)
	if md == nil {
		md = map[string]any{}
	}
	tok, _ := bearer(r)
	out, err := h.Store.ChangeClient(r.Context(), t.ID, c.ClientID, func(cur *store.Client) error {
		// The token presented must still be the client's (checked again
		// inside the write, in constant time), and the client active: a
		// concurrent rotation, delete or deactivation wins.
		if cur.Kind != store.KindDCR || !cur.Active || tok == "" || !ids.Matches(tok, cur.RATHash) {
			return invalidToken(t, "the registration access token is missing or invalid")
		}
		cur.UpdatedAt = now
		return mutate(cur)
	}, func(next store.Client) store.AuditEvent {
		return audit.New(r, now, name, audit.Actor{Type: "client", ID: next.ClientID}, audit.Target{Type: "agent", ID: next.ID}, md)
	})
	var oe *oauth.Error
	switch {
	case errors.As(err, &oe):
		return store.Client{}, oe
	case errors.Is(err, store.ErrNotFound):
		return store.Client{}, invalidToken(t, "the registration access token is missing or invalid")
	case err != nil:
		return store.Client{}, oauth.Internal(err)
	}
	return out, nil
}

// update is PUT /oauth/register/{client_id} (RFC 7592 §2.2): a full
// replacement of the metadata, validated like a registration.
func (h *Handler) update(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	c, err := h.managed(r, t)
	if err != nil {
		return err
	}
	fields, err := readBody(r)
	if err != nil {
		return err
	}
	id, err := stringField(fields, "client_id", 256)
	if err != nil {
		return err
	}
	// RFC 7592 §2.2: the update names the client it updates, and only that one.
	if id == "" {
		return oauth.New(oauth.InvalidRequest, "client_id is required in an update")
	}
	if id != c.ClientID {
		return metaErr("client_id cannot be changed")
	}
	rec, err := h.current(r, t)
	if err != nil {
		return err
	}
	// On a software_statement tenant an update needs a statement too, or a
	// client could replace what its publisher signed.
	m, signedScope, err := h.metadata(r.Context(), t, rec, fields, rec.DCRPolicy == PolicySoftwareStatement)
	if err != nil {
		return err
	}
	secret := ""
	if m.HasSecret() && len(c.SecretHash) == 0 {
		secret = ids.NewSecret()
	}
	md := map[string]any{}
	requested := m
	out, err := h.change(r, t, c, audit.ClientUpdated, md, func(cur *store.Client) error {
		// Bounded by the client as stored now (mutate runs again after a
		// lost race): an admin's change between the read and this write is
		// the ceiling too.
		bounded, dropped, err := ceiling(requested, *cur, rec, signedScope)
		if err != nil {
			return err
		}
		m = bounded
		clear(md)
		maps.Copy(md, eventMetadata(m))
		if len(dropped) > 0 {
			md["scope_dropped"] = dropped
		}
		apply(cur, m, cur.UpdatedAt)
		if secret != "" {
			cur.SecretHash = ids.Hash(secret)
		}
		return nil
	})
	if err != nil {
		return err
	}
	oauth.WriteJSON(w, http.StatusOK, document(t, out, m, secret, ""))
	return nil
}

// delete is DELETE /oauth/register/{client_id} (RFC 7592 §2.3): the client
// is deactivated at once, every token it holds becomes inactive, and its
// secret and registration access token stop working. The record stays (an
// inactive agent in the admin API, with its audit trail).
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	c, err := h.managed(r, t)
	if err != nil {
		return err
	}
	_, err = h.change(r, t, c, audit.ClientDeleted, map[string]any{"client_name": c.Name}, func(cur *store.Client) error {
		cur.Active = false
		cur.RevokedBefore = cur.UpdatedAt
		cur.SecretHash = nil
		cur.RATHash = nil
		return nil
	})
	if err != nil {
		return err
	}
	oauth.NoStore(w.Header())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateSecret is POST /oauth/register/{client_id}/secret.
func (h *Handler) rotateSecret(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	c, err := h.managed(r, t)
	if err != nil {
		return err
	}
	m := registered(c)
	if am := oauth.AuthMethod(c.AuthMethod); am != oauth.SecretBasic && am != oauth.SecretPost {
		return oauth.New(oauth.InvalidRequest, "the client does not authenticate with a secret")
	}
	secret := ids.NewSecret()
	out, err := h.change(r, t, c, audit.ClientSecretRotated, nil, func(cur *store.Client) error {
		cur.SecretHash = ids.Hash(secret)
		return nil
	})
	if err != nil {
		return err
	}
	oauth.WriteJSON(w, http.StatusOK, document(t, out, m, secret, ""))
	return nil
}

// rotateRAT is DELETE /oauth/register/{client_id}/registration-token: the
// current registration access token stops working and a new one is returned.
func (h *Handler) rotateRAT(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
	c, err := h.managed(r, t)
	if err != nil {
		return err
	}
	rat := ids.NewSecret()
	out, err := h.change(r, t, c, audit.ClientUpdated, map[string]any{"registration_access_token": "rotated"}, func(cur *store.Client) error {
		cur.RATHash = ids.Hash(rat)
		return nil
	})
	if err != nil {
		return err
	}
	oauth.WriteJSON(w, http.StatusOK, document(t, out, registered(out), "", rat))
	return nil
}
