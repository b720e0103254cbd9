package dynamodb_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sharkauth/serverless/shared/awstest"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/store/dynamodb"
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
	writes := []store.Write{
		{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#a#X", SK: "1"}, Data: []byte(`{"id":"x1"}`)}, Cond: store.CondAbsent},
		{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#a#AUDIT", SK: "1"}, Data: []byte(`{"id":"aud_1"}`)}, Cond: store.CondAbsent},
	}
	if err := tab.Transact(ctx, writes); err != nil || lossy.lost != 1 {
		t.Fatalf("lost answer: %v (lost %d)", err, lossy.lost)
	}
	// Someone else's records at the keys: the retry's failed condition stands.
	lossy.lost = 0
	other := []store.Write{
		{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#a#X", SK: "1"}, Data: []byte(`{"id":"x2"}`)}, Cond: store.CondAbsent},
		{Op: store.OpPut, Item: store.Item{Key: store.Key{PK: "T#a#AUDIT", SK: "2"}, Data: []byte(`{"id":"aud_2"}`)}, Cond: store.CondAbsent},
	}
	if err := tab.Transact(ctx, other); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("conflict after a lost answer: %v", err)
	}
}

// A conditional put whose answer was lost after it was applied succeeds on
// the SDK's retry (its own write is in place) instead of failing its own
// condition, which made a rate counter count one hit twice; a retry that
// meets another writer's item still fails.
func TestPutSurvivesALostAnswer(t *testing.T) {
	base, name := awstest.NewTable(t)
	lossy := &loseAnswers{next: http.DefaultTransport, op: "PutItem"}
	client := sdk.New(base.Options(), func(o *sdk.Options) { o.HTTPClient = lossy })
	tab := dynamodb.New(client, name, nil)
	ctx := t.Context()
	k := store.Key{PK: "T#a#RATE", SK: "0"}
	v, err := tab.Put(ctx, store.Item{Key: k, Data: []byte(`{"n":1}`)}, store.CondAbsent)
	if err != nil || v != 1 || lossy.lost != 1 {
		t.Fatalf("absent put, lost answer: v=%d %v (lost %d)", v, err, lossy.lost)
	}
	lossy.lost = 0
	v, err = tab.Put(ctx, store.Item{Key: k, Data: []byte(`{"n":2}`)}, store.CondVersion(1))
	if err != nil || v != 2 || lossy.lost != 1 {
		t.Fatalf("versioned put, lost answer: v=%d %v (lost %d)", v, err, lossy.lost)
	}
	// Another writer's item at the version this put expected to write.
	if _, err := tab.Put(ctx, store.Item{Key: k, Data: []byte(`{"n":9}`)}, store.CondVersion(1)); !errors.Is(err, store.ErrConditionFailed) {
		t.Fatalf("stale version: %v", err)
	}
}
