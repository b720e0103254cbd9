// Package lambdax is the only importer of aws-lambda-go: it runs a plain
// net/http handler as an API Gateway HTTP API (payload format 2.0) Lambda
// function through aws-lambda-go-api-proxy, and repairs what that library
// changes on the way, so the handler sees the request the client sent.
//
// What a handler can rely on:
//   - r.Host is requestContext.domainName (the Host the client used); the
//     scheme the client used is in X-Forwarded-Proto, which API Gateway and the
//     local runner set, and r.URL.Scheme is set from it.
//   - Every request header has exactly the value in the event: API Gateway
//     joins repeated headers with ",", and that joined value is what the
//     handler sees, never split (the proxy library splits most headers on ",",
//     which corrupts values such as User-Agent, Date or a quoted string).
//   - The event's cookies arrive as one Cookie header.
//   - A handler that writes nothing answers 200; only the first WriteHeader
//     counts, and header changes after it are ignored, as with net/http.
//   - Response headers with several values are joined with ","; Set-Cookie
//     headers become the response's cookies; a body that is not valid UTF-8 is
//     returned base64-encoded.
//   - An event the library cannot turn into a request (a body that is not
//     valid base64, a path that does not parse) is answered 400 with a JSON
//     error, never a Lambda error.
package lambdax
