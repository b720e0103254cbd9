package app_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/admin"
	"github.com/sharkauth/serverless/shared/app"
	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/storetest"
	"github.com/sharkauth/serverless/shared/tenant"
)

// auditStack is the admin and audit functions over one environment with a
// settable clock, the root tenant "default" and a second tenant "other".
type auditStack struct {
	*stack
	audit    http.Handler
	clock    *storetest.Clock
	otherKey string
}

func startAudit(t *testing.T) *auditStack {
	t.Helper()
	clock := storetest.NewClock()
	s := startWith(t, localConfig(t.TempDir()), app.Options{Now: clock.Now})
	r := s.do(s.admin, "POST", "/platform/v1/tenants", s.boot.PlatformKey, `{"id":"other"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create other: %d", r.status)
	}
	return &auditStack{stack: s, audit: app.Audit(s.env), clock: clock, otherKey: r.body["admin_key"].(string)}
}

// record writes events of tenant id at the clock's time, one microsecond apart.
func (s *auditStack) record(id string, n int, mk func(i int) store.AuditEvent) []store.AuditEvent {
	s.t.Helper()
	evs := make([]store.AuditEvent, n)
	for i := range evs {
		s.clock.Advance(time.Microsecond)
		evs[i] = mk(i)
	}
	if err := s.env.Store.RecordAuditEvents(s.t.Context(), tenant.MustID(id), evs...); err != nil {
		s.t.Fatal(err)
	}
	return evs
}

func (s *auditStack) event(name, actor, target string) store.AuditEvent {
	return audit.New(nil, s.env.Store.Now(), name, audit.Actor{Type: "client", ID: actor}, audit.Target{Type: "agent", ID: target}, nil)
}

// raw sends a request and returns the recorder (any content type).
func (s *auditStack) raw(method, path, key, body string) *httptest.ResponseRecorder {
	s.t.Helper()
	r := httptest.NewRequest(method, "http://localhost:8080"+path, strings.NewReader(body))
	if key != "" {
		r.Header.Set("Authorization", key)
	}
	w := httptest.NewRecorder()
	s.audit.ServeHTTP(w, r)
	return w
}

func TestAuditAuthentication(t *testing.T) {
	s := startAudit(t)
	ctx := t.Context()
	def := tenant.MustID("default")
	now := s.env.Store.Now()
	mkKey := func(scopes []string, expires time.Time) string {
		k, secret := admin.NewAdminKey("k", scopes, now)
		k.ExpiresAt = expires
		if err := s.env.Store.CreateAPIKey(ctx, def, k, s.event("api_key.created", "test", k.ID)); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	readOnly := mkKey([]string{"audit:read"}, time.Time{})
	expired := mkKey([]string{"*"}, now.Add(time.Minute))
	revoked, revokedSecret := admin.NewAdminKey("revoked", []string{"*"}, now)
	{
		k := revoked
		if err := s.env.Store.CreateAPIKey(ctx, def, k, s.event("api_key.created", "test", k.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.env.Store.RevokeAPIKey(ctx, def, k.ID, s.event("api_key.revoked", "test", k.ID)); err != nil {
			t.Fatal(err)
		}
	}
	s.clock.Advance(2 * time.Minute)

	tests := []struct {
		name, path, auth string
		status           int
		code, message    string
	}{
		{"no key", "/api/v1/audit-logs", "", 401, "unauthorized", "missing API key"},
		{"not bearer", "/api/v1/audit-logs", "Basic " + s.boot.AdminKey, 401, "unauthorized", "missing API key"},
		{"platform key", "/api/v1/audit-logs", "Bearer " + s.boot.PlatformKey, 401, "unauthorized", "invalid API key format"},
		{"unknown key", "/api/v1/audit-logs", "Bearer sk_live_nope", 401, "unauthorized", "invalid API key"},
		{"key of another tenant", "/api/v1/audit-logs", "Bearer " + s.otherKey, 401, "unauthorized", "invalid API key"},
		{"root key on another tenant", "/t/other/api/v1/audit-logs", "Bearer " + s.boot.AdminKey, 401, "unauthorized", "invalid API key"},
		{"revoked key", "/api/v1/audit-logs", "Bearer " + revokedSecret, 401, "unauthorized", "API key revoked"},
		{"expired key", "/api/v1/audit-logs", "Bearer " + expired, 401, "unauthorized", "API key expired"},
		{"key without *", "/api/v1/audit-logs", "Bearer " + readOnly, 403, "forbidden", ""},
		{"purge without *", "/api/v1/admin/audit-logs/purge", "Bearer " + readOnly, 403, "forbidden", ""},
		{"unknown tenant", "/t/nope/api/v1/audit-logs", "Bearer " + s.boot.AdminKey, 404, "not_found", "unknown tenant"},
		{"root key", "/api/v1/audit-logs", "Bearer " + s.boot.AdminKey, 200, "", ""},
		{"other tenant's key on its tenant", "/t/other/api/v1/audit-logs", "Bearer " + s.otherKey, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			body := ""
			if strings.HasSuffix(tt.path, "/purge") {
				method, body = "POST", `{"before":"2020-01-01T00:00:00Z","dry_run":true}`
			}
			w := s.raw(method, tt.path, tt.auth, body)
			if w.Code != tt.status || w.Header().Get("Cache-Control") != "no-store" {
				t.Fatalf("%d (Cache-Control %q) %s, want %d", w.Code, w.Header().Get("Cache-Control"), w.Body, tt.status)
			}
			if tt.code != "" {
				var e map[string]string
				json.Unmarshal(w.Body.Bytes(), &e)
				if e["error"] != tt.code || (tt.message != "" && e["message"] != tt.message) {
					t.Fatalf("body %s, want %s %q", w.Body, tt.code, tt.message)
				}
			}
		})
	}
}

// list GETs a page and decodes it.
func (s *auditStack) list(key, query string) (int, []map[string]any, string, bool, string) {
	s.t.Helper()
	return s.listAt("", key, query)
}

// listAt GETs a page under a path prefix ("/t/<tenant>" or "").
func (s *auditStack) listAt(prefix, key, query string) (int, []map[string]any, string, bool, string) {
	s.t.Helper()
	w := s.raw("GET", prefix+"/api/v1/audit-logs?"+query, "Bearer "+key, "")
	var body struct {
		Data    []map[string]any `json:"data"`
		Next    *string          `json:"next_cursor"`
		HasMore bool             `json:"has_more"`
	}
	json.Unmarshal(w.Body.Bytes(), &body)
	next := ""
	if body.Next != nil {
		next = *body.Next
	}
	return w.Code, body.Data, next, body.HasMore, w.Body.String()
}

func TestAuditList(t *testing.T) {
	s := startAudit(t)
	key := s.boot.AdminKey
	evs := s.record("default", 120, func(i int) store.AuditEvent {
		return s.event("oauth.token_issued", "shark_agent_a", fmt.Sprint("tok", i))
	})

	t.Run("default page, fields, walk to the end", func(t *testing.T) {
		status, data, next, more, raw := s.list(key, "event=oauth.token_issued")
		if status != 200 || len(data) != 50 || !more || next == "" {
			t.Fatalf("%d: %d events, more %v, next %q: %.300s", status, len(data), more, next, raw)
		}
		first := data[0]
		if first["id"] != evs[119].ID || first["event"] != "oauth.token_issued" || first["action"] != "oauth.token_issued" ||
			first["actor_id"] != "shark_agent_a" || first["target_id"] != "tok119" || first["status"] != "success" {
			t.Fatalf("newest event: %v", first)
		}
		for _, k := range []string{"actor_type", "target_type", "metadata", "ip", "user_agent", "created_at"} {
			if _, ok := first[k]; !ok {
				t.Fatalf("event lacks %s: %v", k, first)
			}
		}
		seen := map[any]bool{}
		pages := 0
		for cursor := ""; ; {
			q := "event=oauth.token_issued&limit=50"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			status, data, next, more, raw := s.list(key, q)
			if status != 200 || more != (next != "") {
				t.Fatalf("page %d: %d %.300s", pages, status, raw)
			}
			pages++
			for _, ev := range data {
				if seen[ev["id"]] {
					t.Fatalf("%v listed twice", ev["id"])
				}
				seen[ev["id"]] = true
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if pages != 3 || len(seen) != 120 {
			t.Fatalf("%d pages, %d events", pages, len(seen))
		}
	})

	t.Run("filters and synonyms", func(t *testing.T) {
		since := evs[100].CreatedAt.Format(time.RFC3339Nano)
		until := evs[109].CreatedAt.Format(time.RFC3339Nano)
		naive := evs[100].CreatedAt.Format("2006-01-02T15:04:05.999999")
		for q, want := range map[string]int{
			"since=" + url.QueryEscape(since) + "&until=" + url.QueryEscape(until): 10,
			"from=" + url.QueryEscape(since) + "&to=" + url.QueryEscape(until):     10,
			"since=" + naive + "&action=oauth.token_issued":                        20,
			"action=oauth.token_issued,tenant.created&limit=200":                   121,
			"actor_id=shark_agent_a&limit=200":                                     120,
			"target_id=tok7":                                                       1,
			"actor_type=client&target_type=agent&limit=200":                        120,
			"event=no.such": 0,
			"offset=20&event=oauth.token_issued&limit=200": 120, // unknown parameters are ignored
		} {
			status, data, _, _, raw := s.list(key, q)
			if status != 200 || len(data) != want {
				t.Fatalf("%s: %d, %d events, want %d: %.200s", q, status, len(data), want, raw)
			}
		}
	})

	_, _, cursor, _, _ := s.list(key, "event=oauth.token_issued&limit=10")
	otherCursor := ""
	s.record("other", 20, func(int) store.AuditEvent { return s.event("user.created", "admin", "u") })
	{
		w := s.raw("GET", "/t/other/api/v1/audit-logs?limit=5", "Bearer "+s.otherKey, "")
		var body map[string]any
		json.Unmarshal(w.Body.Bytes(), &body)
		otherCursor, _ = body["next_cursor"].(string)
		if otherCursor == "" {
			t.Fatalf("other: %s", w.Body)
		}
	}
	bad := []struct {
		name, query, param string
	}{
		{"limit zero", "limit=0", "limit"},
		{"limit over 200", "limit=201", "limit"},
		{"limit not a number", "limit=ten", "limit"},
		{"bad since", "since=yesterday", "since"},
		{"bad from", "from=2026-13-01T00:00:00Z", "from"},
		{"bad until", "until=1700000000", "until"},
		{"bad to", "to=2026-01-01", "to"},
		{"from and since", "from=2026-01-01T00:00:00Z&since=2026-01-01T00:00:00Z", "from"},
		{"cursor of another filter", "event=user.created&cursor=" + url.QueryEscape(cursor), "cursor"},
		{"cursor without its filter", "cursor=" + url.QueryEscape(cursor), "cursor"},
		{"cursor of another tenant", "limit=5&cursor=" + url.QueryEscape(otherCursor), "cursor"},
		{"garbage cursor", "cursor=abc", "cursor"},
		{"overlong actor", "actor_id=" + strings.Repeat("a", 300), "actor_id"},
		{"malformed query", "limit=%zz", ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			status, _, _, _, raw := s.list(key, tt.query)
			if status != 400 || !strings.Contains(raw, tt.param) || !strings.Contains(raw, `"error":"invalid_`) {
				t.Fatalf("%d %s, want 400 naming %q", status, raw, tt.param)
			}
		})
	}
}

func TestAuditGetAndIsolation(t *testing.T) {
	s := startAudit(t)
	mine := s.record("default", 1, func(int) store.AuditEvent { return s.event("app.created", "admin", "app_1") })[0]
	theirs := s.record("other", 1, func(int) store.AuditEvent { return s.event("app.created", "admin", "app_1") })[0]
	tests := []struct {
		name, path, key string
		status          int
		id              string
	}{
		{"own event", "/api/v1/audit-logs/" + mine.ID, s.boot.AdminKey, 200, mine.ID},
		{"own event under /t", "/t/other/api/v1/audit-logs/" + theirs.ID, s.otherKey, 200, theirs.ID},
		{"another tenant's event", "/api/v1/audit-logs/" + theirs.ID, s.boot.AdminKey, 404, ""},
		{"another tenant's event, the other way", "/t/other/api/v1/audit-logs/" + mine.ID, s.otherKey, 404, ""},
		{"unknown id", "/api/v1/audit-logs/" + store.NewAuditID(mine.CreatedAt, 8), s.boot.AdminKey, 404, ""},
		{"malformed id", "/api/v1/audit-logs/aud_%2e%2e", s.boot.AdminKey, 404, ""},
		{"not an id", "/api/v1/audit-logs/agent_1", s.boot.AdminKey, 404, ""},
		{"export is not gettable", "/api/v1/audit-logs/export", s.boot.AdminKey, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.raw("GET", tt.path, "Bearer "+tt.key, "")
			var body map[string]any
			json.Unmarshal(w.Body.Bytes(), &body)
			if w.Code != tt.status || (tt.id != "" && (body["id"] != tt.id || body["action"] != "app.created")) {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
	// The other tenant's list never shows the root tenant's events.
	w := s.raw("GET", "/t/other/api/v1/audit-logs?limit=200&target_id=app_1", "Bearer "+s.otherKey, "")
	if strings.Contains(w.Body.String(), mine.ID) || !strings.Contains(w.Body.String(), theirs.ID) {
		t.Fatalf("other's list: %s", w.Body)
	}
}

func TestAuditExport(t *testing.T) {
	s := startAudit(t)
	key := "Bearer " + s.boot.AdminKey
	hostile := []string{"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "plain, with \"quotes\"\nand a newline"}
	evs := s.record("default", len(hostile), func(i int) store.AuditEvent {
		ev := s.event("agent.updated", hostile[i], "agent_x")
		ev.Metadata = map[string]any{"note": hostile[i]}
		return ev
	})

	t.Run("ndjson", func(t *testing.T) {
		w := s.raw("POST", "/api/v1/audit-logs/export", key, `{"format":"ndjson","event":["agent.updated"]}`)
		if w.Code != 200 || w.Header().Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("%d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		lines := strings.Split(strings.TrimSuffix(w.Body.String(), "\n"), "\n")
		if len(lines) != len(evs) {
			t.Fatalf("%d lines, want %d", len(lines), len(evs))
		}
		for i, line := range lines {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil || ev["id"] != evs[len(evs)-1-i].ID || ev["action"] != "agent.updated" {
				t.Fatalf("line %d: %s (%v)", i, line, err)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		w := s.raw("POST", "/api/v1/audit-logs/export", key, `{"format":"csv","action":"agent.updated","since":"2020-01-01T00:00:00Z"}`)
		if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(w.Body.String(), "\r\n") {
			t.Fatalf("%d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		rows, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
		if err != nil || len(rows) != len(evs)+1 || rows[0][0] != "id" || rows[0][4] != "actor_id" {
			t.Fatalf("rows %v (%v)", rows, err)
		}
		for i, row := range rows[1:] {
			want := hostile[len(hostile)-1-i]
			if strings.ContainsAny(want[:1], "=+-@") {
				want = "'" + want
			}
			if row[4] != want {
				t.Fatalf("row %d actor cell %q, want %q", i, row[4], want)
			}
			for j, cell := range row {
				if cell != "" && strings.ContainsAny(cell[:1], "=+-@") {
					t.Fatalf("row %d cell %d starts a formula: %q", i, j, cell)
				}
			}
		}
	})

	t.Run("empty csv has its header", func(t *testing.T) {
		w := s.raw("POST", "/api/v1/audit-logs/export", key, `{"format":"csv","event":"no.such"}`)
		if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "id,event,action,") {
			t.Fatalf("%d %q", w.Code, w.Body)
		}
	})

	t.Run("another tenant's events are not exported", func(t *testing.T) {
		w := s.raw("POST", "/t/other/api/v1/audit-logs/export", "Bearer "+s.otherKey, `{}`)
		if w.Code != 200 || strings.Contains(w.Body.String(), "agent.updated") {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})

	for name, body := range map[string]string{
		"unknown format":    `{"format":"xml"}`,
		"bad since":         `{"since":"soon"}`,
		"event not a list":  `{"event":42}`,
		"event item number": `{"event":["a",1]}`,
		"not JSON":          `format=csv`,
		"limit of the list": `{"until":"2026-02-30T00:00:00Z"}`,
	} {
		t.Run(name, func(t *testing.T) {
			w := s.raw("POST", "/api/v1/audit-logs/export", key, body)
			if w.Code != 400 || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}
}

func TestAuditPurge(t *testing.T) {
	s := startAudit(t)
	key := "Bearer " + s.boot.AdminKey
	old := s.record("default", 30, func(int) store.AuditEvent { return s.event("user.updated", "admin", "u") })
	s.clock.Advance(time.Hour)
	cut := s.env.Store.Now()
	s.clock.Advance(time.Hour)
	recent := s.record("default", 5, func(int) store.AuditEvent { return s.event("user.updated", "admin", "u") })
	theirs := s.record("other", 3, func(int) store.AuditEvent { return s.event("user.updated", "admin", "u") })[0]
	before := fmt.Sprintf(`{"before":%q`, cut.Format(time.RFC3339Nano))

	for name, body := range map[string]string{
		"no before":   `{"dry_run":true}`,
		"bad before":  `{"before":"last week"}`,
		"future":      fmt.Sprintf(`{"before":%q}`, s.env.Store.Now().Add(time.Hour).Format(time.RFC3339)),
		"dry_run str": before + `,"dry_run":"yes"}`,
		// A misspelt dry_run must not purge for real.
		"unknown member": before + `,"dryrun":true}`,
	} {
		t.Run(name, func(t *testing.T) {
			w := s.raw("POST", "/api/v1/admin/audit-logs/purge", key, body)
			if w.Code != 400 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		})
	}

	// The root tenant's trail before the cut: its boot events and the 30.
	w := s.raw("POST", "/api/v1/admin/audit-logs/purge", key, before+`,"dry_run":true}`)
	var res map[string]any
	json.Unmarshal(w.Body.Bytes(), &res)
	count := res["count"].(float64)
	if w.Code != 200 || count < 30 || res["deleted"] != 0.0 || res["dry_run"] != true {
		t.Fatalf("dry run: %d %s", w.Code, w.Body)
	}
	if got := s.raw("GET", "/api/v1/audit-logs/"+old[0].ID, key, ""); got.Code != 200 {
		t.Fatalf("a dry run deleted: %d", got.Code)
	}
	w = s.raw("POST", "/api/v1/admin/audit-logs/purge", key, before+`}`)
	json.Unmarshal(w.Body.Bytes(), &res)
	if w.Code != 200 || res["deleted"] != count {
		t.Fatalf("purge: %d %s (dry run counted %v)", w.Code, w.Body, count)
	}
	_, data, _, _, raw := s.list(s.boot.AdminKey, "limit=200")
	if len(data) != len(recent)+1 || data[0]["event"] != audit.AuditPurged || data[0]["actor_type"] != "admin_key" ||
		data[0]["metadata"].(map[string]any)["count"] != count {
		t.Fatalf("after the purge: %.600s", raw)
	}
	for _, id := range []string{old[0].ID, old[29].ID} {
		if got := s.raw("GET", "/api/v1/audit-logs/"+id, key, ""); got.Code != 404 {
			t.Fatalf("purged %s still read: %d", id, got.Code)
		}
	}
	if got := s.raw("GET", "/t/other/api/v1/audit-logs/"+theirs.ID, "Bearer "+s.otherKey, ""); got.Code != 200 {
		t.Fatalf("the root tenant's purge reached another tenant: %d", got.Code)
	}
}

// The audit settings of the platform API: shards 8..64, raised never
// lowered; retention 1..3650 days; both shown with their effective values,
// and a tenant's retention applies to the events written through its URLs.
func TestAuditPlatformSettings(t *testing.T) {
	s := startAudit(t)
	pk := s.boot.PlatformKey
	r := s.do(s.admin, "POST", "/platform/v1/tenants", pk, `{"id":"tuned","audit_shards":16,"audit_retention_days":1}`)
	if r.status != 201 || r.body["tenant"].(map[string]any)["audit_shards"] != 16.0 || r.body["tenant"].(map[string]any)["audit_retention_days"] != 1.0 {
		t.Fatalf("create: %d %v", r.status, r.body["tenant"])
	}
	tunedKey := r.body["admin_key"].(string)
	if g := s.do(s.admin, "GET", "/platform/v1/tenants/other", pk, ""); g.body["audit_shards"] != 8.0 || g.body["audit_retention_days"] != 90.0 {
		t.Fatalf("defaults: %v", g.body)
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		param                    string
	}{
		{"create with 7 shards", "POST", "/platform/v1/tenants", `{"id":"tseven","audit_shards":7}`, 400, "audit_shards"},
		{"create with 65 shards", "POST", "/platform/v1/tenants", `{"id":"t65","audit_shards":65}`, 400, "audit_shards"},
		{"create with 0 days", "POST", "/platform/v1/tenants", `{"id":"tzero","audit_retention_days":0}`, 400, "audit_retention_days"},
		{"create with 3651 days", "POST", "/platform/v1/tenants", `{"id":"t3651","audit_retention_days":3651}`, 400, "audit_retention_days"},
		{"shards as a string", "PATCH", "/platform/v1/tenants/tuned", `{"audit_shards":"16"}`, 400, "audit_shards"},
		{"lower the shards", "PATCH", "/platform/v1/tenants/tuned", `{"audit_shards":8}`, 400, "audit_shards"},
		{"keep the shards", "PATCH", "/platform/v1/tenants/tuned", `{"audit_shards":16}`, 200, ""},
		{"raise the shards", "PATCH", "/platform/v1/tenants/tuned", `{"audit_shards":32}`, 200, ""},
		{"set the retention", "PATCH", "/platform/v1/tenants/tuned", `{"audit_retention_days":2}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(s.admin, tt.method, tt.path, pk, tt.body)
			if r.status != tt.status || (tt.param != "" && !strings.Contains(r.raw, tt.param)) {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	g := s.do(s.admin, "GET", "/platform/v1/tenants/tuned", pk, "")
	if g.body["audit_shards"] != 32.0 || g.body["audit_retention_days"] != 2.0 {
		t.Fatalf("after the changes: %v", g.body)
	}
	// The tenant's trail (creation, three updates) is read over 32 shards and
	// ages out after two days.
	status, data, _, _, raw := s.listAt("/t/tuned", tunedKey, "limit=200")
	if status != 200 || len(data) != 6 {
		t.Fatalf("tuned's trail: %d %.500s", status, raw)
	}
	s.clock.Advance(49 * time.Hour)
	if status, data, _, _, raw := s.listAt("/t/tuned", tunedKey, "limit=200"); status != 200 || len(data) != 0 {
		t.Fatalf("after two days: %d %.500s", status, raw)
	}
}

// GET /api/v1/users/{id}/audit-logs (the SDK's users.get_audit_logs): the
// events whose actor or target is the user, each once, paged by offset.
func TestAuditUserLogs(t *testing.T) {
	s := startAudit(t)
	key := "Bearer " + s.boot.AdminKey
	evs := s.record("default", 4, func(i int) store.AuditEvent {
		switch i {
		case 0:
			return s.event("user.agents_revoked", "usr_1", "usr_1") // actor and target: listed once
		case 1:
			return s.event("user.updated", "key_1", "usr_1")
		case 2:
			return s.event("agent.created", "usr_1", "shark_agent_x")
		}
		return s.event("user.updated", "key_1", "usr_2")
	})
	s.record("other", 1, func(int) store.AuditEvent { return s.event("user.updated", "key_1", "usr_1") })
	tests := []struct {
		name, path string
		status     int
		want       []string
		more       bool
	}{
		{"every event of the user", "/api/v1/users/usr_1/audit-logs", 200, []string{evs[2].ID, evs[1].ID, evs[0].ID}, false},
		{"a page", "/api/v1/users/usr_1/audit-logs?limit=1&offset=1", 200, []string{evs[1].ID}, true},
		{"the last page", "/api/v1/users/usr_1/audit-logs?limit=2&offset=2", 200, []string{evs[0].ID}, false},
		{"past the end", "/api/v1/users/usr_1/audit-logs?offset=10", 200, []string{}, false},
		{"another user", "/api/v1/users/usr_2/audit-logs", 200, []string{evs[3].ID}, false},
		{"unknown user", "/api/v1/users/usr_9/audit-logs", 200, []string{}, false},
		{"limit zero", "/api/v1/users/usr_1/audit-logs?limit=0", 400, nil, false},
		{"negative offset", "/api/v1/users/usr_1/audit-logs?offset=-1", 400, nil, false},
		{"offset too large", "/api/v1/users/usr_1/audit-logs?offset=10001", 400, nil, false},
		{"offset not a number", "/api/v1/users/usr_1/audit-logs?offset=x", 400, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := s.raw("GET", tt.path, key, "")
			if w.Code != tt.status {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if tt.want == nil {
				return
			}
			var body struct {
				Data    []map[string]any `json:"data"`
				HasMore bool             `json:"has_more"`
			}
			json.Unmarshal(w.Body.Bytes(), &body)
			got := []string{}
			for _, ev := range body.Data {
				got = append(got, ev["id"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || body.HasMore != tt.more {
				t.Fatalf("got %v (more %v), want %v (more %v)", got, body.HasMore, tt.want, tt.more)
			}
		})
	}
	w := s.raw("GET", "/api/v1/users/usr_1/audit-logs", "Bearer "+s.otherKey, "")
	if w.Code != 401 {
		t.Fatalf("another tenant's key: %d", w.Code)
	}
	w = s.raw("GET", "/t/other/api/v1/users/usr_1/audit-logs", "Bearer "+s.otherKey, "")
	if w.Code != 200 || strings.Contains(w.Body.String(), evs[0].ID) || strings.Count(w.Body.String(), `"id"`) != 1 {
		t.Fatalf("other tenant's user: %d %s", w.Code, w.Body)
	}
}
