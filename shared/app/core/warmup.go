package core

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsdynamodb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// warmUpTimeout bounds the warm-up request.
const warmUpTimeout = 2 * time.Second

// dynamoDBURL is the DynamoDB endpoint the SDK calls for region, from the
// SDK's own endpoint rules ("" when they give none).
func dynamoDBURL(ctx context.Context, region string) string {
	ep, err := awsdynamodb.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, awsdynamodb.EndpointParameters{Region: aws.String(region)})
	if err != nil {
		return ""
	}
	return ep.URI.String()
}

// warmUp opens a connection to url with client while the function's init
// goes on: a plain GET of the endpoint's root, which is no API call (no
// IAM permission, no charge, no CloudTrail event; DynamoDB answers it with
// a health line), read to the end so its connection stays in client's
// pool. The first event's first call then finds the DNS lookup and TLS
// handshake done, or waits for this dial rather than starting its own. A
// failure is ignored: the first call dials as it always did.
func warmUp(ctx context.Context, client aws.HTTPClient, url string) {
	ctx, cancel := context.WithTimeout(ctx, warmUpTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
