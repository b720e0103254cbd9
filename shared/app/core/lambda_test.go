package core_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/app/core"
)

// TestWithHeadroom: the handler's deadline is the invocation's, moved
// earlier by the headroom, so a slow AWS call ends in time for a 503.
func TestWithHeadroom(t *testing.T) {
	invocation := time.Date(2026, 12, 1, 7, 0, 10, 0, time.UTC)
	tests := []struct {
		name         string
		deadline     time.Time // zero: none
		headroom     time.Duration
		want         time.Time
		wantDeadline bool
	}{
		{name: "Lambda deadline moved earlier", deadline: invocation, headroom: 500 * time.Millisecond, want: invocation.Add(-500 * time.Millisecond), wantDeadline: true},
		{name: "no deadline (local runner) unchanged", headroom: 500 * time.Millisecond},
		{name: "zero headroom", deadline: invocation, want: invocation, wantDeadline: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got time.Time
			var ok bool
			h := core.WithHeadroom(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				got, ok = r.Context().Deadline()
			}), tc.headroom)
			ctx := t.Context()
			if !tc.deadline.IsZero() {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, tc.deadline)
				defer cancel()
			}
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(ctx, "GET", "/", nil))
			if ok != tc.wantDeadline || !got.Equal(tc.want) {
				t.Fatalf("deadline %v (%v), want %v (%v)", got, ok, tc.want, tc.wantDeadline)
			}
		})
	}
}
