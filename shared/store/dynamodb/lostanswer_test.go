package dynamodb_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/store/table"
	"github.com/sharkauth/serverless/shared/tenant"
)

// loseAnswers forwards requests, but drops the answer of the first call of
// op (TransactWriteItems unless set) after the server applied it: the SDK
// then retries.
type loseAnswers struct {
	next http.RoundTripper
	op   string
	mu   sync.Mutex
	lost int
}

func (l *loseAnswers) Do(req *http.Request) (*http.Response, error) {
	op := l.op
	if op == "" {
		op = "TransactWriteItems"
	}
	resp, err := l.next.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.Header.Get("X-Amz-Target"), "."+op) {
		return resp, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == 0 {
		l.lost++
		resp.Body.Close()
		return nil, syscall.ECONNRESET
	}
	return resp, nil
}

// A transaction whose answer was lost after it was applied succeeds on the
// SDK's retry instead of failing its own conditions; a retry that meets
// someone else's record still conflicts.
func TestTransactSurvivesALostAnswer(t *testing.T) {
	base, name := awstest.NewTable(t)
	lossy := &loseAnswers{next: http.DefaultTransport}
	client := sdk.New(base.Options(), func(o *sdk.Options) { o.HTTPClient = lossy })
	tab := dynamodb.New(client, name, nil)
	ctx := t.Context()
	writes := []table.Write{
		{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#X", SK: "1"}, Data: []byte(`{"id":"x1"}`)}, Cond: table.CondAbsent},
		{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#AUDIT", SK: "1"}, Data: []byte(`{"id":"aud_1"}`)}, Cond: table.CondAbsent},
	}
	if err := tab.Transact(ctx, writes); err != nil || lossy.lost != 1 {
		t.Fatalf("lost answer: %v (lost %d)", err, lossy.lost)
	}
	// Someone else's records at the keys: the retry's failed condition stands.
	lossy.lost = 0
	other := []table.Write{
		{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#X", SK: "1"}, Data: []byte(`{"id":"x2"}`)}, Cond: table.CondAbsent},
		{Op: table.OpPut, Item: table.Item{Key: table.Key{PK: "T#a#AUDIT", SK: "2"}, Data: []byte(`{"id":"aud_2"}`)}, Cond: table.CondAbsent},
	}
	if err := tab.Transact(ctx, other); !errors.Is(err, table.ErrConditionFailed) {
		t.Fatalf("conflict after a lost answer: %v", err)
	}
}

// A rate counter hit whose write was applied but whose answer was lost
// (the SDK's retry then fails the write's own condition) counts once, not
// twice (seen on CI under load: "hit 1: Count 2"). The engine cannot tell
// its own put from another writer's identical one (single-use marks of two
// racers carry the same data), so the counter tags its writes.
func TestRateHitSurvivesALostAnswer(t *testing.T) {
	base, name := awstest.NewTable(t)
	lossy := &loseAnswers{next: http.DefaultTransport, op: "PutItem"}
	client := sdk.New(base.Options(), func(o *sdk.Options) { o.HTTPClient = lossy })
	s := store.New(dynamodb.New(client, name, nil), time.Now)
	for i := 1; i <= 3; i++ {
		lossy.mu.Lock()
		lossy.lost = 0
		lossy.mu.Unlock()
		d, err := s.Hit(t.Context(), tenant.MustID("acme"), "ip|192.0.2.1", time.Hour, 100)
		if err != nil || !d.Allowed || d.Count != i || lossy.lost != 1 {
			t.Fatalf("hit %d: %+v %v (lost %d)", i, d, err, lossy.lost)
		}
	}
}

// A DPoP token is ONE conditional PutItem of its token item, whose key is
// the proof's replay mark; a PutItem has no idempotency token, so the SDK's
// retry after a lost answer fails the put's own condition. The issue
// succeeds all the same (the item carries its writer's tag), and a second
// request with the same proof is still refused as a replay.
func TestDPoPIssueSurvivesALostAnswer(t *testing.T) {
	base, name := awstest.NewTable(t)
	lossy := &loseAnswers{next: http.DefaultTransport, op: "PutItem"}
	client := sdk.New(base.Options(), func(o *sdk.Options) { o.HTTPClient = lossy })
	s := store.New(dynamodb.New(client, name, nil), time.Now)
	ctx, id := t.Context(), tenant.MustID("acme")
	issue := func() (store.TokenRecord, error) {
		now := time.Now()
		mark := store.ReplayMark{Kind: "dpop", Value: "jkt-1|proof-1", Until: now.Add(2 * time.Minute)}
		jti, evID, evAt := store.NewDPoPTokenIDs(now, store.DefaultAuditShards, mark)
		rec := store.TokenRecord{JTI: jti, ClientID: "shark_agent_x", Scope: "mcp:read", JKT: "jkt-1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
		ev := store.AuditEvent{ID: evID, Event: "oauth.token_issued", ActorType: "client", ActorID: rec.ClientID,
			TargetType: "token", TargetID: jti, Status: "success", CreatedAt: evAt}
		return rec, s.IssueToken(ctx, id, store.Issuance{Token: rec, Marks: []store.ReplayMark{mark}, Event: ev})
	}
	rec, err := issue()
	if err != nil || lossy.lost != 1 {
		t.Fatalf("issue with its answer lost: %v (lost %d)", err, lossy.lost)
	}
	if got, err := s.GetToken(ctx, id, rec.JTI); err != nil || got.JTI != rec.JTI {
		t.Fatalf("the issued token: %+v %v", got, err)
	}
	if _, err := issue(); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("the same proof again: %v, want ErrReplay", err)
	}
}
