package core

import (
	"context"
	"testing"

	"github.com/sharkauth/serverless/shared/config"
)

// A bootstrap's AWS configuration is Lambda's environment: the role's
// credentials, the region, the emulator's endpoint when one is set; without
// credentials it fails at start, before the first event.
func TestLambdaAWS(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "session")
	c, err := LambdaAWS(context.Background(), config.Config{Region: "eu-west-1", Endpoint: "http://127.0.0.1:5000"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region != "eu-west-1" || c.BaseEndpoint == nil || *c.BaseEndpoint != "http://127.0.0.1:5000" || c.Retryer == nil {
		t.Fatalf("config: region %q endpoint %v retryer %v", c.Region, c.BaseEndpoint, c.Retryer != nil)
	}
	if r := c.Retryer(); r.MaxAttempts() != sdkMaxAttempts {
		t.Fatalf("retryer allows %d attempts, want %d", r.MaxAttempts(), sdkMaxAttempts)
	}
	creds, err := c.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "session" {
		t.Fatalf("credentials %+v, %v", creds, err)
	}

	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "us-west-2")
	if c, err := LambdaAWS(context.Background(), config.Config{}); err != nil || c.Region != "us-west-2" || c.BaseEndpoint != nil {
		t.Fatalf("AWS_DEFAULT_REGION: %q %v %v", c.Region, c.BaseEndpoint, err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	if _, err := LambdaAWS(context.Background(), config.Config{Region: "eu-west-1"}); err == nil {
		t.Fatal("no credentials in the environment: want an error")
	}
}
