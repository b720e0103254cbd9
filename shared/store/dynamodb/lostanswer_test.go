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
	"github.com/sharkauth/serverless/shared/store/dynamodb"
	"github.com/sharkauth/serverless/shared/store/table"
)

// loseAnswers forwards requests, but drops the answer of the first
// TransactWriteItems after the server applied it: the SDK then retries.
type loseAnswers struct {
	next http.RoundTripper
	mu   sync.Mutex
	lost int
}

func (l *loseAnswers) Do(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".TransactWriteItems") {
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
