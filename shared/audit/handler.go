package audit

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// AuditPurged is the event of a purge of the trail. It is not in WIRE §8's
// list, which names no event for the audit function's own mutation.
const AuditPurged = "audit.purged"

// Handler serves the audit function (WIRE §8) on a tenant's routes:
//
//	GET  /api/v1/audit-logs                 list, newest first, sealed cursor
//	GET  /api/v1/audit-logs/{id}            one event
//	POST /api/v1/audit-logs/export          every matching event as NDJSON or CSV, streamed
//	POST /api/v1/admin/audit-logs/purge     {"before","dry_run"}
//	GET  /api/v1/users/{id}/audit-logs      the SDK's users.get_audit_logs: events whose
//	                                        actor or target is the user, limit and offset
//
// Filters (query parameters of the list; members of the export's JSON body):
// event and action (comma lists, united), actor_id, actor_type, target_id,
// target_type, from or since, to or until (RFC 3339; a time without a zone
// offset is UTC; both bounds inclusive), limit (1..200, default 50), cursor.
// Unknown parameters are ignored (the SDK sends extras, such as offset).
// actor_id and target_id given an agent's id or client_id match its events
// under either name.
type Handler struct {
	Store *store.Store
	// Authenticate checks the admin key of a request to tenant t and returns
	// the key's id (the actor of the events the function writes). Its errors
	// are *httpx.Error (401, 403).
	Authenticate func(r *http.Request, t tenant.ID) (string, error)
}

// Register adds the audit routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/audit-logs", h.auth(h.list))
	mux.Handle("GET /api/v1/audit-logs/{id}", h.auth(h.get))
	mux.Handle("POST /api/v1/audit-logs/export", h.auth(h.export))
	mux.Handle("POST /api/v1/admin/audit-logs/purge", h.auth(h.purge))
	mux.Handle("GET /api/v1/users/{id}/audit-logs", h.auth(h.userLogs))
}

// call is what every audit handler receives instead of building it: the
// request's tenant and the admin key that authenticated it.
type call struct {
	t     tenant.ID
	actor string // the id of the admin key: the actor of the events the function writes
}

// auth mounts an audit handler: the tenant from the resolver (tenant.Handle:
// none is an internal error, answered there), then the tenant's admin key.
func (h *Handler) auth(next func(http.ResponseWriter, *http.Request, call) error) http.Handler {
	return httpx.Handle(tenant.Handle(func(w http.ResponseWriter, r *http.Request, t tenant.Tenant) error {
		actor, err := h.Authenticate(r, t.ID)
		if err != nil {
			return err
		}
		return next(w, r, call{t: t.ID, actor: actor})
	}))
}

// EventJSON is an event as WIRE §8 shows it: event and action carry the same
// name (but for the user cascade, store.AuditAction); absent targets, addresses and agents are null.
type EventJSON struct {
	ID         string         `json:"id"`
	Event      string         `json:"event"`
	Action     string         `json:"action"`
	ActorType  string         `json:"actor_type"`
	ActorID    string         `json:"actor_id"`
	TargetType *string        `json:"target_type"`
	TargetID   *string        `json:"target_id"`
	Metadata   map[string]any `json:"metadata"`
	Status     string         `json:"status"`
	IP         *string        `json:"ip"`
	UserAgent  *string        `json:"user_agent"`
	CreatedAt  string         `json:"created_at"`
}

// TimeFormat is how an event's created_at is written: RFC 3339 in UTC with
// exactly six fractional digits, so that the strings of a page sort as its
// events do (RFC 3339Nano drops trailing zeros: "…04.45Z" would sort after
// "…04.456323Z").
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// View renders an event for the wire.
func View(ev store.AuditEvent) EventJSON {
	meta := ev.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return EventJSON{ID: ev.ID, Event: ev.Event, Action: store.AuditAction(ev.Event), ActorType: ev.ActorType, ActorID: ev.ActorID,
		TargetType: orNull(ev.TargetType), TargetID: orNull(ev.TargetID), Metadata: meta, Status: ev.Status,
		IP: orNull(ev.IP), UserAgent: orNull(ev.UserAgent), CreatedAt: ev.CreatedAt.UTC().Format(TimeFormat)}
}

// filterInput is the filter as the export body carries it.
type filterInput struct {
	Format     string `json:"format"`
	Event      any    `json:"event"`
	Action     any    `json:"action"`
	ActorID    string `json:"actor_id"`
	ActorType  string `json:"actor_type"`
	TargetID   string `json:"target_id"`
	TargetType string `json:"target_type"`
	From       string `json:"from"`
	Since      string `json:"since"`
	To         string `json:"to"`
	Until      string `json:"until"`
}

const maxFilterValue = 256

// parseFilter reads a filter from named values (get returns "" when absent).
func parseFilter(get func(string) string) (store.AuditFilter, error) {
	var f store.AuditFilter
	for _, name := range []string{"event", "action"} {
		for n := range strings.SplitSeq(get(name), ",") {
			if n = strings.TrimSpace(n); n != "" {
				if len(n) > 64 || len(f.Events) >= 50 {
					return f, httpx.InvalidParameter(name + " lists too many or too long names")
				}
				f.Events = append(f.Events, n)
			}
		}
	}
	for name, dst := range map[string]*string{"actor_id": &f.ActorID, "actor_type": &f.ActorType, "target_id": &f.TargetID, "target_type": &f.TargetType} {
		v := get(name)
		if len(v) > maxFilterValue {
			return f, httpx.InvalidParameter(name + " is longer than " + strconv.Itoa(maxFilterValue) + " characters")
		}
		*dst = v
	}
	var err error
	if f.From, err = timeParam(get, "from", "since"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(get, "to", "until"); err != nil {
		return f, err
	}
	return f, nil
}

// timeParam reads one of two synonymous time parameters.
func timeParam(get func(string) string, a, b string) (time.Time, error) {
	va, vb := get(a), get(b)
	if va != "" && vb != "" {
		return time.Time{}, httpx.InvalidParameter("give " + a + " or " + b + ", not both")
	}
	name, v := a, va
	if v == "" {
		name, v = b, vb
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, ok := parseTime(v)
	if !ok {
		return time.Time{}, httpx.InvalidParameter(name + " must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
	}
	return t, nil
}

// parseTime accepts RFC 3339, and ISO 8601 without a zone (as Python's
// datetime.isoformat() writes a naive time), which is taken as UTC. A '+'
// turned into a space by a form-encoded query is restored.
func parseTime(v string) (time.Time, bool) {
	if len(v) > 40 {
		return time.Time{}, false
	}
	v = strings.ReplaceAll(v, " ", "+")
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", v, time.UTC); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, c call) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	f, err := parseFilter(q.Get)
	if err != nil {
		return err
	}
	pr := store.PageRequest{Cursor: q.Get("cursor")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > store.MaxPageLimit {
			return httpx.InvalidParameter("limit must be an integer from 1 to " + strconv.Itoa(store.MaxPageLimit))
		}
		pr.Limit = n
	}
	page, err := h.Store.ListAuditEvents(r.Context(), c.t, f, pr)
	switch {
	case errors.Is(err, store.ErrBadCursor):
		return httpx.InvalidParameter("cursor is invalid, or was issued for another tenant or filter")
	case err != nil:
		return httpx.Internal(err)
	}
	data := make([]EventJSON, len(page.Items))
	for i, ev := range page.Items {
		data[i] = View(ev)
	}
	var next *string
	if page.Next != "" {
		next = &page.Next
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "next_cursor": next, "has_more": next != nil})
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request, c call) error {
	ev, err := h.Store.GetAuditEvent(r.Context(), c.t, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return httpx.NotFound("audit event not found")
	case err != nil:
		return httpx.Internal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, View(ev))
	return nil
}

// csvHeader is the export's CSV columns; metadata is its JSON text.
var csvHeader = []string{"id", "event", "action", "actor_type", "actor_id", "target_type", "target_id", "status", "ip", "user_agent", "created_at", "metadata"}

// safeCell defuses a cell a spreadsheet would read as a formula (OWASP CSV
// injection): one that starts with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// flushEvery is how many exported events are written between flushes.
const flushEvery = 500

func (h *Handler) export(w http.ResponseWriter, r *http.Request, c call) error {
	var in filterInput
	if err := httpx.DecodeJSON(r, &in, false); err != nil {
		return err
	}
	names := map[string]string{"actor_id": in.ActorID, "actor_type": in.ActorType, "target_id": in.TargetID,
		"target_type": in.TargetType, "from": in.From, "since": in.Since, "to": in.To, "until": in.Until}
	for name, v := range map[string]any{"event": in.Event, "action": in.Action} {
		s, err := nameList(name, v)
		if err != nil {
			return err
		}
		names[name] = s
	}
	f, err := parseFilter(func(k string) string { return names[k] })
	if err != nil {
		return err
	}
	format := in.Format
	if format == "" {
		format = "ndjson"
	}
	var write func(store.AuditEvent) error
	rc := http.NewResponseController(w)
	started := false
	switch format {
	case "ndjson":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		write = func(ev store.AuditEvent) error { return enc.Encode(View(ev)) }
	case "csv":
		cw := csv.NewWriter(w)
		cw.UseCRLF = true // RFC 4180
		write = func(ev store.AuditEvent) error {
			if !started {
				if err := cw.Write(csvHeader); err != nil {
					return err
				}
			}
			meta, _ := json.Marshal(View(ev).Metadata)
			row := []string{ev.ID, ev.Event, store.AuditAction(ev.Event), ev.ActorType, ev.ActorID, ev.TargetType, ev.TargetID, ev.Status,
				ev.IP, ev.UserAgent, ev.CreatedAt.UTC().Format(TimeFormat), string(meta)}
			for i := range row {
				row[i] = safeCell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
			cw.Flush()
			return cw.Error()
		}
	default:
		return httpx.InvalidParameter("format must be ndjson or csv")
	}
	n := 0
	begin := func() {
		if started {
			return
		}
		ct := "application/x-ndjson"
		if format == "csv" {
			ct = "text/csv; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="audit-logs.`+format+`"`)
		w.WriteHeader(http.StatusOK)
	}
	err = h.Store.EachAuditEvent(r.Context(), c.t, f, func(ev store.AuditEvent) error {
		begin()
		if err := write(ev); err != nil {
			return err
		}
		started = true
		if n++; n%flushEvery == 0 {
			if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return err
			}
		}
		return nil
	})
	if err != nil && !started {
		return httpx.Internal(err)
	}
	if err != nil {
		// The status is sent: the export ends short, and the log says why.
		slog.ErrorContext(r.Context(), "audit export ended early", "request_id", httpx.RequestID(r.Context()), "events", n, "cause", err)
		return nil
	}
	if !started { // no event: the CSV still has its header
		begin()
		if format == "csv" {
			cw := csv.NewWriter(w)
			cw.UseCRLF = true
			cw.Write(csvHeader)
			cw.Flush()
		}
	}
	return nil
}

// nameList reads an event list given as a comma list or an array of names.
func nameList(field string, v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []any:
		parts := make([]string, len(v))
		for i, p := range v {
			s, ok := p.(string)
			if !ok || strings.Contains(s, ",") {
				return "", httpx.InvalidParameter(field + "[" + strconv.Itoa(i) + "] must be an event name")
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	}
	return "", httpx.InvalidParameter(field + " must be a comma list or an array of event names")
}

type purgeInput struct {
	Before *string `json:"before"`
	DryRun bool    `json:"dry_run"`
}

func (h *Handler) purge(w http.ResponseWriter, r *http.Request, c call) error {
	var in purgeInput
	// Unknown members are refused: a misspelt dry_run must not purge for real.
	if err := httpx.DecodeJSON(r, &in, true); err != nil {
		return err
	}
	if in.Before == nil || *in.Before == "" {
		return httpx.BadRequest("before is required")
	}
	before, ok := parseTime(*in.Before)
	if !ok {
		return httpx.InvalidParameter("before must be an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
	}
	now := h.Store.Now()
	if before.After(now) {
		return httpx.InvalidParameter("before must not be in the future")
	}
	n, err := h.Store.PurgeAuditEvents(r.Context(), c.t, before, in.DryRun, func(count int) store.AuditEvent {
		return New(r, now, AuditPurged, Actor{Type: "admin_key", ID: c.actor}, Target{Type: "audit_log", ID: c.t.String()},
			map[string]any{"before": before.Format(time.RFC3339Nano), "count": count})
	})
	if err != nil {
		return httpx.Internal(err)
	}
	deleted := n
	if in.DryRun {
		deleted = 0
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"dry_run": in.DryRun, "before": before, "count": n, "deleted": deleted})
	return nil
}

// maxOffset bounds the offset paging of a user's events (each page reads
// offset+limit events).
const maxOffset = 10_000

var errPageFull = errors.New("page full")

// userLogs serves the SDK's users.get_audit_logs (not in WIRE §8): the events
// whose actor or target is the user, newest first, paged by limit (1..200,
// default 50) and offset (0..10000). It answers {"data","has_more"}.
func (h *Handler) userLogs(w http.ResponseWriter, r *http.Request, c call) error {
	q, err := httpx.Query(r)
	if err != nil {
		return err
	}
	limit, offset := store.DefaultPageLimit, 0
	if l := q.Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > store.MaxPageLimit {
			return httpx.InvalidParameter("limit must be an integer from 1 to " + strconv.Itoa(store.MaxPageLimit))
		}
	}
	if o := q.Get("offset"); o != "" {
		if offset, err = strconv.Atoi(o); err != nil || offset < 0 || offset > maxOffset {
			return httpx.InvalidParameter("offset must be an integer from 0 to " + strconv.Itoa(maxOffset))
		}
	}
	user := r.PathValue("id")
	if user == "" || len(user) > maxFilterValue {
		return httpx.NotFound("user not found")
	}
	data := make([]EventJSON, 0, limit)
	seen, more := 0, false
	err = h.Store.EachAuditEvent(r.Context(), c.t, store.AuditFilter{Involving: user}, func(ev store.AuditEvent) error {
		seen++
		switch {
		case seen <= offset:
			return nil
		case len(data) == limit:
			more = true
			return errPageFull
		}
		data = append(data, View(ev))
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		return httpx.Internal(err)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"data": data, "has_more": more})
	return nil
}
