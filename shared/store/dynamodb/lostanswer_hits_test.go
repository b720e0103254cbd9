package dynamodb_test

import (
	"net/http"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/tenant"
)

// HitEach (register's per-address and per-tenant counters) counts each
// counter once when a write's answer is lost after it was applied, as Hit
// does (TestRateHitSurvivesALostAnswer): the first put of each call loses
// its answer, whichever counter it belongs to.
func TestRateHitEachSurvivesALostAnswer(t *testing.T) {
	base, name := awstest.NewTable(t)
	lossy := &loseAnswers{next: http.DefaultTransport, op: "PutItem"}
	client := sdk.New(base.Options(), func(o *sdk.Options) { o.HTTPClient = lossy })
	s := store.New(dynamodb.New(client, name, nil), time.Now)
	counters := []store.RateCounter{{Name: "dcr|addr|192.0.2.1", Limit: 100}, {Name: "dcr|tenant", Limit: 100}}
	for i := 1; i <= 3; i++ {
		lossy.mu.Lock()
		lossy.lost = 0
		lossy.mu.Unlock()
		d, err := s.HitEach(t.Context(), tenant.MustID("acme"), time.Hour, counters)
		if err != nil || !d.Allowed || d.Count != i || lossy.lost != 1 {
			t.Fatalf("hit %d: %+v %v (lost %d)", i, d, err, lossy.lost)
		}
		if d, err := s.Hit(t.Context(), tenant.MustID("acme"), "dcr|addr|192.0.2.1", time.Hour, i); err != nil || d.Allowed || d.Count != i {
			t.Fatalf("hit %d: the address counted %+v %v", i, d, err)
		}
	}
}
