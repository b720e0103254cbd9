package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/password"
	"github.com/sharkauth/serverless/shared/store"
)

func (a *API) registerUsers(mux *http.ServeMux, h handle) {
	mux.Handle("POST /api/v1/admin/users", h(a.createUser))
	mux.Handle("POST /api/v1/users", h(a.createUser))
	mux.Handle("GET /api/v1/users", h(a.listUsers))
	mux.Handle("GET /api/v1/users/{id}", h(a.getUser))
	mux.Handle("PATCH /api/v1/users/{id}", h(a.updateUser))
	mux.Handle("DELETE /api/v1/users/{id}", h(a.deleteUser))
	mux.Handle("POST /api/v1/users/{id}/revoke-agents", h(a.revokeUserAgents))
	mux.Handle("GET /api/v1/users/{id}/agents", h(a.userAgents))
	mux.Handle("POST /api/v1/users/{id}/password", h(a.setUserPassword))
	a.registerConsents(mux, h)
}

// setUserPassword sets the password a user signs in with at the authorize
// function (stored as an argon2id hash; the answer and the audit event never
// carry it).
func (a *API) setUserPassword(w http.ResponseWriter, r *http.Request, c call) error {
	cur, err := a.user(c)
	if err != nil {
		return err
	}
	var in struct {
		Password *string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Password == nil {
		return required("password")
	}
	if len(*in.Password) < 1 || len(*in.Password) > 1024 {
		return invalid("password", "must be 1 to 1024 characters")
	}
	hash := password.Hash(*in.Password)
	u, err := a.Store.UpdateUser(c.ctx, c.t, cur.ID, func(u *store.User) error {
		u.PasswordHash = hash
		u.UpdatedAt = c.now
		return nil
	}, c.event(audit.UserPasswordSet, "user", cur.ID, nil))
	if err != nil {
		return storeErr(err, "unknown user")
	}
	httpx.WriteJSON(w, http.StatusOK, userView(u))
	return nil
}

type userJSON struct {
	ID            string         `json:"id"`
	Email         string         `json:"email"`
	Name          string         `json:"name"`
	EmailVerified bool           `json:"email_verified"`
	HasPassword   bool           `json:"has_password"`
	Metadata      map[string]any `json:"metadata"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

func userView(u store.User) userJSON {
	meta := u.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, EmailVerified: u.EmailVerified, HasPassword: u.PasswordHash != "",
		Metadata: meta, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

type userInput struct {
	Email         *string     `json:"email"`
	Name          *string     `json:"name"`
	Password      *string     `json:"password"`
	EmailVerified *bool       `json:"email_verified"`
	Metadata      *jsonObject `json:"metadata"`
}

// jsonObject is a free-form JSON object member that also takes the object
// encoded in a JSON string, as the SDK's users.update_user(metadata=...)
// sends it ("raw JSON metadata string").
type jsonObject map[string]any

func (o *jsonObject) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return errors.New("not a JSON object, nor a string holding one")
	}
	*o = m
	return nil
}

func (in userInput) validate(creating bool) error {
	if in.Email == nil || *in.Email == "" {
		if creating || in.Email != nil {
			return required("email")
		}
	} else if !validEmail(*in.Email) {
		return invalid("email", "is not an email address")
	}
	if err := checkName("name", in.Name, false); err != nil {
		return err
	}
	if in.Password != nil && (len(*in.Password) < 1 || len(*in.Password) > 1024) {
		return invalid("password", "must be 1 to 1024 characters")
	}
	if in.Metadata != nil && len(marshalLen(*in.Metadata)) > 16<<10 {
		return invalid("metadata", "must be at most 16 KiB")
	}
	return nil
}

// validEmail accepts a bare addr-spec (no display name) of sane length.
func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, c call) error {
	var in userInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.validate(true); err != nil {
		return err
	}
	u := store.User{ID: ids.New("usr_"), Email: *in.Email, CreatedAt: c.now, UpdatedAt: c.now}
	applyUserInput(&u, in)
	err := a.Store.CreateUser(c.ctx, c.t, u, c.event(audit.UserCreated, "user", u.ID, map[string]any{"email": u.Email}))
	if err != nil {
		return storeErr(err, "")
	}
	httpx.WriteJSON(w, http.StatusCreated, userView(u))
	return nil
}

func applyUserInput(u *store.User, in userInput) {
	if in.Email != nil {
		u.Email = *in.Email
	}
	if in.Name != nil {
		u.Name = *in.Name
	}
	if in.EmailVerified != nil {
		u.EmailVerified = *in.EmailVerified
	}
	if in.Metadata != nil {
		u.Metadata = map[string]any(*in.Metadata)
	}
	if in.Password != nil {
		u.PasswordHash = password.Hash(*in.Password)
	}
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, c call) error {
	if email := c.q.Get("email"); email != "" {
		data := []userJSON{}
		u, err := a.Store.UserByEmail(c.ctx, c.t, email)
		switch {
		case err == nil:
			data = append(data, userView(u))
		case !errors.Is(err, store.ErrNotFound):
			return storeErr(err, "")
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(data), "next_cursor": nil, "has_more": false})
		return nil
	}
	pr, err := pageRequest(r)
	if err != nil {
		return httpx.BadRequest("limit must be an integer from 1 to " + strconv.Itoa(store.MaxPageLimit))
	}
	page, err := a.Store.ListUsers(c.ctx, c.t, pr)
	if err != nil {
		return storeErr(err, "")
	}
	total, err := a.Store.CountUsers(c.ctx, c.t)
	if err != nil {
		return storeErr(err, "")
	}
	data := make([]userJSON, 0, len(page.Items))
	for _, u := range page.Items {
		data = append(data, userView(u))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": total, "next_cursor": strOrNull(page.Next), "has_more": page.Next != ""})
	return nil
}

func (a *API) user(c call) (store.User, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return store.User{}, httpx.NotFound("unknown user")
	}
	u, err := a.Store.GetUser(c.ctx, c.t, id)
	return u, storeErr(err, "unknown user")
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, c call) error {
	u, err := a.user(c)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, userView(u))
	return nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request, c call) error {
	cur, err := a.user(c)
	if err != nil {
		return err
	}
	var in userInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := in.validate(false); err != nil {
		return err
	}
	meta := map[string]any{}
	if in.Email != nil {
		meta["email"] = *in.Email
	}
	if in.Password != nil {
		meta["password_changed"] = true
	}
	u, err := a.Store.UpdateUser(c.ctx, c.t, cur.ID, func(u *store.User) error {
		applyUserInput(u, in)
		u.UpdatedAt = c.now
		return nil
	}, c.event(audit.UserUpdated, "user", cur.ID, meta))
	if err != nil {
		return storeErr(err, "unknown user")
	}
	httpx.WriteJSON(w, http.StatusOK, userView(u))
	return nil
}

// deleteUser removes the user and cascades to its agents (L3): the marker is
// written with the deletion, then the agents are deactivated in batches.
func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, c call) error {
	u, err := a.user(c)
	if err != nil {
		return err
	}
	ev := c.event(audit.UserDeleted, "user", u.ID, map[string]any{"email": u.Email})
	if _, err := a.Store.DeleteUser(c.ctx, c.t, u.ID, "user deleted", ev); err != nil {
		return storeErr(err, "unknown user")
	}
	if _, err := a.Store.FinishUserRevocation(c.ctx, c.t, u.ID); err != nil {
		// The marker already makes every token inactive; a retry of the
		// cascade (revoke-agents) finishes the records.
		return storeErr(err, "")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxListedAgents bounds revoke-agents' agent_ids (one transaction).
const maxListedAgents = 90

func (a *API) revokeUserAgents(w http.ResponseWriter, r *http.Request, c call) error {
	userID := r.PathValue("id")
	if !idPattern.MatchString(userID) {
		return httpx.NotFound("unknown user")
	}
	var in struct {
		AgentIDs *[]string `json:"agent_ids"`
		Reason   *string   `json:"reason"`
	}
	if err := decodeOptional(r, &in); err != nil {
		return err
	}
	if err := checkText("reason", in.Reason, 500, false); err != nil {
		return err
	}
	reason := ""
	if in.Reason != nil {
		reason = *in.Reason
	}
	agents, err := a.Store.UserAgents(c.ctx, c.t, userID)
	if err != nil {
		return storeErr(err, "")
	}
	// The user-level event: actor is the user (WIRE §8).
	event := func(ids []string) store.AuditEvent {
		return audit.New(r, c.now, audit.UserAgentsRevoked, audit.Actor{Type: "user", ID: userID}, audit.Target{Type: "user", ID: userID},
			map[string]any{"revoked_count": len(ids), "reason": reason, "agent_ids": ids, "admin_key_id": c.keyID})
	}
	revoked := []string{}
	if in.AgentIDs != nil {
		if len(*in.AgentIDs) > maxListedAgents {
			return invalid("agent_ids", "may list at most "+strconv.Itoa(maxListedAgents)+" agents; omit it to revoke every agent of the user")
		}
		// Ids that name no agent of this user (another user's, unknown) are
		// not revoked, and not an error (SharkAuth answers 200): they are
		// listed back in ignored_agent_ids.
		var chosen []store.Client
		ignored := []string{}
		for i, id := range *in.AgentIDs {
			if !idPattern.MatchString(id) {
				return invalid("agent_ids["+strconv.Itoa(i)+"]", "is not an id")
			}
			j := indexAgent(agents, id)
			switch {
			case j < 0:
				if !slices.Contains(ignored, id) {
					ignored = append(ignored, id)
				}
			case indexAgent(chosen, id) < 0:
				chosen = append(chosen, agents[j])
			}
		}
		for _, ag := range chosen {
			if ag.Active {
				revoked = append(revoked, ag.ID)
			}
		}
		ev := event(revoked)
		if len(chosen) > 0 {
			if err := a.Store.DeactivateClients(c.ctx, c.t, chosen, ev); err != nil {
				return storeErr(err, "")
			}
		} else {
			ev.ID = ""
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"revoked_agent_ids": revoked, "ignored_agent_ids": ignored, "revoked_consent_count": 0, "audit_event_id": strOrNull(ev.ID)})
		return nil
	}
	for _, ag := range agents {
		if ag.Active && !ag.CreatedAt.After(c.now) {
			revoked = append(revoked, ag.ID)
		}
	}
	ev := event(revoked)
	if _, err := a.Store.RevokeUserAgents(c.ctx, c.t, userID, reason, ev); err != nil {
		return storeErr(err, "")
	}
	if _, err := a.Store.FinishUserRevocation(c.ctx, c.t, userID); err != nil {
		return storeErr(err, "")
	}
	// Every agent of the user: its consents too (the SDK's contract), so
	// the next authorization asks the user again.
	consents, err := a.revokeAllConsents(c, userID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"revoked_agent_ids": revoked, "revoked_consent_count": consents, "audit_event_id": ev.ID})
	return nil
}

func indexAgent(list []store.Client, id string) int {
	for i, c := range list {
		if c.ID == id || c.ClientID == id {
			return i
		}
	}
	return -1
}

func (a *API) userAgents(w http.ResponseWriter, r *http.Request, c call) error {
	limit, offset, err := offsetPage(c)
	if err != nil {
		return err
	}
	filter := c.q.Get("filter")
	switch filter {
	case "":
		filter = "all"
	case "all", "created", "authorized":
	default:
		return invalid("filter", "must be created, authorized or all")
	}
	userID := r.PathValue("id")
	if !idPattern.MatchString(userID) {
		return httpx.NotFound("unknown user")
	}
	if _, err := a.Store.GetUser(c.ctx, c.t, userID); err != nil {
		return storeErr(err, "unknown user")
	}
	data := []agentJSON{}
	total := 0
	if filter == "authorized" {
		all, err := a.authorizedAgents(c, userID)
		if err != nil {
			return err
		}
		total = len(all)
		data = all[min(offset, len(all)):min(offset+limit, len(all))]
	} else {
		agents, n, err := a.Store.ListAgents(c.ctx, c.t, store.AgentFilter{CreatedBy: userID, Limit: limit, Offset: offset})
		if err != nil {
			return storeErr(err, "")
		}
		for _, ag := range agents {
			data = append(data, agentView(ag))
		}
		total = n
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "total": total, "filter": filter})
	return nil
}
