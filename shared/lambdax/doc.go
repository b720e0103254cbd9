// Package lambdax is the only importer of aws-lambda-go: it runs a plain
// net/http handler as an API Gateway HTTP API (payload format 2.0) Lambda
// function. Adapter turns the event into the *http.Request the client sent
// and the handler's response into the HTTP API response, each in one pass
// (it replaced aws-lambda-go-api-proxy, which split header values on commas
// and whose conversions cost ~15 µs per token request).
//
// What a handler can rely on:
//   - r.Method is requestContext.http.method in upper case (GET when empty);
//     r.URL.Path is rawPath decoded (requestContext.http.path when rawPath is
//     empty), r.URL.RawPath the raw form when it is not the default encoding
//     of the path, r.URL.RawQuery is rawQueryString as sent, and r.RequestURI
//     is the escaped path and query.
//   - r.Host is requestContext.domainName (the Host the client used), or the
//     host header when the event has no domain name; the scheme the client
//     used is in X-Forwarded-Proto, which API Gateway and the local runner
//     set, and r.URL.Scheme is set from it (https when it is neither http nor
//     https).
//   - r.RemoteAddr is requestContext.http.sourceIp, without a port.
//   - Every request header has exactly the value in the event: API Gateway
//     joins repeated headers with ",", and that joined value is what the
//     handler sees, never split (splitting corrupts values such as
//     User-Agent, Date or a quoted string).
//   - The event's cookies (and a cookie header, in a hand-made event) arrive
//     as one Cookie header, joined with "; ".
//   - The body is the event's body, base64-decoded when isBase64Encoded;
//     r.ContentLength is its length (http.NoBody when empty).
//   - r.Context() is the invocation's context (its deadline, its
//     cancellation, aws-lambda-go's lambdacontext), and RequestID(ctx) is
//     requestContext.requestId.
//   - A handler that writes nothing answers 200; only the first WriteHeader
//     counts, 1xx statuses are ignored, and header changes after it are
//     ignored, as with net/http. The first Write sets the Content-Type
//     http.DetectContentType finds when none was set.
//   - Response headers with several values are joined with ","; Set-Cookie
//     headers become the response's cookies; a body that is not valid UTF-8
//     (an image/png, for one) is returned base64-encoded, any other body as
//     text whatever its type.
//   - An event that cannot be turned into a request (a body that is not
//     valid base64, a method that is not a token, a path, query or host that
//     does not parse as a URL) is answered 400 with a JSON error, never a
//     Lambda error, and the handler does not run.
package lambdax
