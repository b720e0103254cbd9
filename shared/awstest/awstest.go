package awstest

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

// EndpointEnv names the variable that carries the emulator's URL.
const EndpointEnv = "SHARK_TEST_AWS_ENDPOINT"

// Region is the region every test client uses.
const Region = "us-east-1"

// Endpoint returns the emulator's URL, failing the test when it is not set or
// does not answer.
func Endpoint(t testing.TB) string {
	t.Helper()
	ep := os.Getenv(EndpointEnv)
	if ep == "" {
		t.Fatalf("%s is not set: run the tests with `make test`, which starts moto's server", EndpointEnv)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ep+"/moto-api/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("AWS emulator at %s does not answer: %v", ep, err)
	}
	resp.Body.Close()
	return ep
}

// Config returns an aws.Config that talks to the emulator with dummy credentials.
func Config(t testing.TB) aws.Config {
	t.Helper()
	ep := Endpoint(t)
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(ep),
		// moto answers with Connection: close; keep retries for its occasional resets.
		RetryMaxAttempts: 5,
	}
}

// KMS returns a KMS client on the emulator.
func KMS(t testing.TB) *kms.Client {
	t.Helper()
	return kms.NewFromConfig(Config(t))
}
