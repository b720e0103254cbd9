package register

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

func TestAuditEvents(t *testing.T) {
	hs := newHarness(t, false)
	doc := hs.registered(guideBasic)
	id, rat, secret := str(doc, "client_id"), str(doc, "registration_access_token"), str(doc, "client_secret")
	tick := func() { hs.now = hs.now.Add(time.Second) } // events of one instant have no order
	tick()
	w := hs.manage("PUT", id, rat, "", withID(id, guideFull))
	if w.Code != 200 {
		t.Fatal(w.Body)
	}
	tick()
	w = hs.manage("POST", id, rat, "/secret", "")
	secret2 := str(decode(t, w), "client_secret")
	tick()
	w = hs.manage("DELETE", id, rat, "/registration-token", "")
	rat2 := str(decode(t, w), "registration_access_token")
	tick()
	if w := hs.manage("DELETE", id, rat2, "", ""); w.Code != 204 {
		t.Fatal(w.Body)
	}
	// A refused registration writes no event.
	hs.do(req{body: `{"client_name":5}`})

	evs, err := hs.st.AuditEventsOn(t.Context(), tenant.MustID("acme"), hs.now)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ev := range evs {
		if ev.TargetID == "" || !strings.HasPrefix(ev.TargetID, "agent_") {
			continue
		}
		names = append(names, ev.Event)
		if ev.IP != "192.0.2.1" || ev.ActorID != id || ev.Status != "success" {
			t.Errorf("%s: ip %q actor %q", ev.Event, ev.IP, ev.ActorID)
		}
		raw, _ := json.Marshal(ev)
		for _, s := range []string{secret, secret2, rat, rat2} {
			if strings.Contains(string(raw), s) {
				t.Errorf("%s holds a credential: %s", ev.Event, raw)
			}
		}
	}
	want := []string{"oauth.client_registered", "oauth.client_updated", "oauth.client_secret_rotated", "oauth.client_updated", "oauth.client_deleted"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v, want %v", names, want)
	}
}

// The initial access token admin routes.
func TestInitialAccessTokenAdmin(t *testing.T) {
	hs := newHarness(t, false)
	hs.addTenant("gated", "http://localhost:8080/t/gated", store.Tenant{DCRPolicy: PolicyInitialAccessToken})
	admin := &Tokens{Store: hs.st, Now: hs.clock, Authenticate: func(r *http.Request, _ tenant.ID) (string, error) {
		switch r.Header.Get("Authorization") {
		case "Bearer sk_live_good":
			return "key_admin", nil
		case "":
			return "", httpx.Unauthorized("missing API key")
		}
		return "", errors.New("unknown key")
	}}
	call := func(method, path, body, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		r = r.WithContext(tenant.With(r.Context(), hs.tenants["gated"]))
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, r)
		return w
	}
	good := "Bearer sk_live_good"

	errs := []struct {
		name, method, path, body, auth string
		status                         int
		code                           string
	}{
		{"no key", "POST", IATPath, `{}`, "", 401, "unauthorized"},
		{"wrong key", "POST", IATPath, `{}`, "Bearer sk_live_bad", 401, "unauthorized"},
		{"list wrong key", "GET", IATPath, ``, "Bearer sk_live_bad", 401, "unauthorized"},
		{"unknown field", "POST", IATPath, `{"uses":3}`, good, 400, "invalid_parameter"},
		{"expires_in too short", "POST", IATPath, `{"expires_in":10}`, good, 400, "invalid_parameter"},
		{"expires_in too long", "POST", IATPath, `{"expires_in":99999999}`, good, 400, "invalid_parameter"},
		{"single_use string", "POST", IATPath, `{"single_use":"yes"}`, good, 400, "invalid_parameter"},
		{"not json", "POST", IATPath, `single_use=1`, good, 400, "invalid_request"},
		{"bad limit", "GET", IATPath + "?limit=0", ``, good, 400, "invalid_parameter"},
		{"bad cursor", "GET", IATPath + "?cursor=abc", ``, good, 400, "invalid_parameter"},
		{"unknown id", "GET", IATPath + "/iat_nope", ``, good, 404, "not_found"},
		{"revoke unknown", "DELETE", IATPath + "/iat_nope", ``, good, 404, "not_found"},
		{"other route", "PATCH", IATPath + "/x", ``, good, 404, "not_found"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			w := call(c.method, c.path, c.body, c.auth)
			var e struct{ Error, Message string }
			if w.Code != c.status || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error != c.code {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}

	t.Run("mint, use, list, revoke", func(t *testing.T) {
		w := call("POST", IATPath, `{"name":"ci","single_use":false,"expires_in":3600}`, good)
		if w.Code != 201 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
		var k struct {
			ID, Token string
			SingleUse bool `json:"single_use"`
		}
		json.Unmarshal(w.Body.Bytes(), &k)
		if !strings.HasPrefix(k.ID, "iat_") || len(k.Token) != 64 || k.SingleUse {
			t.Fatalf("minted %s", w.Body)
		}
		if w := hs.do(req{tenant: "gated", body: guideFull, auth: "Bearer " + k.Token}); w.Code != 201 {
			t.Fatalf("register with minted token: %d %s", w.Code, w.Body)
		}
		w = call("GET", IATPath, "", good)
		if w.Code != 200 || strings.Contains(w.Body.String(), k.Token) || !strings.Contains(w.Body.String(), k.ID) || !strings.Contains(w.Body.String(), `"uses":0`) {
			t.Fatalf("list: %s", w.Body)
		}
		if w := call("GET", IATPath+"/"+k.ID, "", good); w.Code != 200 || strings.Contains(w.Body.String(), k.Token) {
			t.Fatalf("get: %s", w.Body)
		}
		w = call("DELETE", IATPath+"/"+k.ID, "", good)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"revoked_at":"`) {
			t.Fatalf("revoke: %s", w.Body)
		}
		wantError(t, hs.do(req{tenant: "gated", body: guideFull, auth: "Bearer " + k.Token}), 401, "invalid_token")
		evs, _ := hs.st.AuditEventsOn(t.Context(), tenant.MustID("gated"), hs.now)
		var names []string
		for _, ev := range evs {
			raw, _ := json.Marshal(ev)
			if strings.Contains(string(raw), k.Token) {
				t.Fatalf("event holds the token: %s", raw)
			}
			names = append(names, ev.Event)
		}
		if !strings.Contains(strings.Join(names, ","), "initial_access_token.created") || !strings.Contains(strings.Join(names, ","), "initial_access_token.revoked") {
			t.Fatalf("events %v", names)
		}
	})
	t.Run("default is single use for a day", func(t *testing.T) {
		w := call("POST", IATPath, `{}`, good)
		var k struct {
			SingleUse bool   `json:"single_use"`
			ExpiresAt string `json:"expires_at"`
		}
		json.Unmarshal(w.Body.Bytes(), &k)
		if w.Code != 201 || !k.SingleUse || k.ExpiresAt != hs.now.Add(DefaultIATLifetime).Format("2006-01-02T15:04:05Z07:00") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
}
