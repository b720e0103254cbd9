package audit

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/store"
)

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "plain": "plain", "a=b": "a=b", "'=x": "'=x", " =x": " =x",
	} {
		if got := safeCell(in); got != want {
			t.Errorf("safeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTime(t *testing.T) {
	utc := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-01-02T03:04:05Z", utc, true},
		{"2026-01-02T04:04:05+01:00", utc, true},
		{"2026-01-02T04:04:05 01:00", utc, true}, // '+' decoded to a space
		{"2026-01-02T03:04:05", utc, true},       // Python's naive isoformat()
		{"2026-01-02T03:04:05.000001", utc.Add(time.Microsecond), true},
		{"2026-01-02", time.Time{}, false},
		{"1700000000", time.Time{}, false},
		{"2026-02-30T00:00:00Z", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
		{strings.Repeat("9", 100), time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) || (ok && got.Location() != time.UTC) {
			t.Errorf("parseTime(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseFilter: whatever the query, the filter parser answers a filter
// or a 400 naming a parameter; accepted names carry no comma or blank, at
// most 50 of at most 64 bytes; times are UTC.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		"event=a,b&action=c", "since=2026-01-02T03:04:05Z&until=2026-01-02T03:04:05%2B01:00",
		"from=x&since=y", "actor_id=" + strings.Repeat("a", 300), "event=,,,", "to=2026-01-02T03:04:05",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := parseFilter(q.Get)
		if err != nil {
			var he *httpx.Error
			if !errors.As(err, &he) || he.Status != 400 {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		if len(fl.Events) > 50 {
			t.Fatalf("%d event names", len(fl.Events))
		}
		for _, n := range fl.Events {
			if n == "" || len(n) > 64 || strings.Contains(n, ",") || strings.TrimSpace(n) != n {
				t.Fatalf("accepted event name %q", n)
			}
		}
		for _, tm := range []time.Time{fl.From, fl.To} {
			if !tm.IsZero() && tm.Location() != time.UTC {
				t.Fatalf("time %v not in UTC", tm)
			}
		}
		if len(fl.ActorID) > maxFilterValue || len(fl.TargetID) > maxFilterValue {
			t.Fatal("overlong id accepted")
		}
	})
}

// TestViewTimesSortAsStrings: created_at has six fractional digits always,
// so a page's strings sort in its events' order (an event stamped on a
// whole millisecond came out as "…04.45Z", after "…04.456323Z").
func TestViewTimesSortAsStrings(t *testing.T) {
	later := View(store.AuditEvent{CreatedAt: time.Date(2026, 12, 6, 3, 25, 4, 456323000, time.UTC)})
	earlier := View(store.AuditEvent{CreatedAt: time.Date(2026, 12, 6, 3, 25, 4, 450000000, time.UTC)})
	if earlier.CreatedAt != "2026-12-06T03:25:04.450000Z" || !(earlier.CreatedAt < later.CreatedAt) {
		t.Fatalf("earlier %q, later %q", earlier.CreatedAt, later.CreatedAt)
	}
}
