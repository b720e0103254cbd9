package awstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sharkauth/serverless/infra"
)

// DynamoDB returns a DynamoDB client on the emulator.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(Config(t))
}

// NewTable creates a uniquely named table on the emulator with the deployed
// schema (infra/table.yaml, TTL on), waits until it is ACTIVE, and deletes it
// when the test ends. It returns a client and the table's name. The emulator
// keeps everything in memory: keep the data each test writes small.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	client := DynamoDB(t)
	ctx := t.Context()

	var suffix [6]byte
	_, _ = rand.Read(suffix[:]) // crypto/rand.Read never fails
	name := "shark-test-" + hex.EncodeToString(suffix[:])

	// The name is this test's alone: "already exists" is an SDK retry after
	// a lost answer (a loaded emulator), and the table is ours.
	var exists *types.ResourceInUseException
	if _, err := client.CreateTable(ctx, infra.CreateTableInput(name)); err != nil && !errors.As(err, &exists) {
		t.Fatalf("awstest: create table %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var gone *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &gone) { // gone: an SDK retry after a lost answer
			t.Errorf("awstest: delete table %s: %v", name, err)
		}
	})

	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		t.Fatalf("awstest: table %s did not become ACTIVE: %v", name, err)
	}
	if _, err := client.UpdateTimeToLive(ctx, infra.UpdateTTLInput(name)); err != nil {
		t.Fatalf("awstest: enable TTL on %s: %v", name, err)
	}
	return client, name
}
