// Package local is the local runner: it serves every function of template.yaml
// on one address exactly as API Gateway (HTTP API, payload format 2.0, stage
// $default) would. LoadRoutes reads the routes from the template; NewHandler
// matches each request to a route with API Gateway's rules, turns it into an
// HTTP API event (lambdax.Request, aws-lambda-go's
// events.APIGatewayV2HTTPRequest), invokes that function's handler through the
// same adapter as on Lambda (lambdax.Adapter), and writes the response back.
//
// The event. Header names lower-cased, a repeated header's values joined with
// ","; cookies taken out of the Cookie header; host, x-forwarded-proto ("http"
// here), x-forwarded-port, x-forwarded-for (the client address appended) and
// x-amzn-trace-id set; requestContext.domainName is the Host the client used
// (with its port), requestContext.http.path the escaped path, as is rawPath.
// The body is text only for text/*, application/json, application/xml and
// application/javascript that is valid UTF-8; any other body (a form, one
// with no content type) is base64-encoded, as API Gateway does. Bodies over
// MaxBodyBytes are answered 413 without being buffered.
//
// Function names. A function's name is its logical id in the template without
// the "Function" suffix, lower-cased: JwksFunction is "jwks", AdminFunction is
// "admin". The same logical id names its build target in infra/sam.mk
// (build-JwksFunction) and its package (functions/jwks). CodeUri cannot carry
// the name: every function is built from the repository root (CodeUri ".")
// by a Makefile target.
//
// Routes. Every event of Type HttpApi is one route: its Method (absent or
// "ANY" matches every method) and its Path, whose segments are literals,
// {name} (exactly one non-empty segment) or a final {name+} (one or more
// segments, greedy). Matching compares the path segment by segment after
// splitting the escaped path on "/" and decoding each segment, so an encoded
// "%2F" stays inside its segment. The most specific route wins: at the first
// segment where two matching routes differ, a literal beats {name}, which
// beats {name+}; between routes of the same path, an explicit method beats
// ANY. A trailing slash is significant ("/healthz/" does not match
// "/healthz"). No match is API Gateway's 404 {"message":"Not Found"}. The
// $default route and named stages are not supported.
package local
