// Command mcp-server is an MCP server built on the official Go MCP SDK
// (github.com/modelcontextprotocol/go-sdk) and protected by a SharkAuth
// tenant with one line, mcpauth.Require(verifier): the streamable HTTP
// transport at the resource's path serves the tool "whoami" (the caller's
// verified claims); GET on any other path answers {"path","caller"} (what
// the integration guides call, e.g. GET {resource}/resource); the RFC 9728
// protected-resource metadata is served at its well-known location (a 401
// points at it) and GET /healthz answers without authentication. It lives
// in the sdk/go module, so it builds against this version of the packages.
//
// Configuration (flags, or the environment when a flag is not given):
//
//	-issuer     SHARK_ISSUER      token issuer, e.g. http://localhost:8080
//	-resource   MCP_RESOURCE      this server's resource URL (default http://127.0.0.1:9090/mcp)
//	-listen     MCP_LISTEN        listen address (default 127.0.0.1:9090)
//	-public-url MCP_PUBLIC_URL    external base URL for DPoP htu (default: origin of -resource)
//	-scopes     MCP_SCOPES        required scopes, space-separated (default mcp:read)
//	-require-dpop MCP_REQUIRE_DPOP refuse bearer tokens (true/false)
//
// Revocation (offline by default: a revoked token is accepted until its exp):
//
//	SHARK_RS_CLIENT_ID, SHARK_RS_CLIENT_SECRET  the resource server's own
//	    credential (`shark resource create --resource URL`): it introspects
//	    the tokens whose aud is one of its resources and reads the feed,
//	    nothing else
//	-feed MCP_FEED=true  poll the revocation feed with it: a revoked
//	    token is refused within the poll interval, no call per request;
//	    fails closed (503) while the feed cannot be read
//	-feed-interval MCP_FEED_INTERVAL  the poll interval (default 5s)
//	-introspect MCP_INTROSPECT=true  introspect every token with it
//	    (RFC 7662): a revoked token is refused at once (or within the cache)
//	-introspect-cache MCP_INTROSPECT_CACHE: how long an answer is reused
//	    (default 5s; 0 asks on every request)
//
// Still accepted, for introspection: SHARK_INTROSPECT_ADMIN_KEY (an admin
// key of the tenant; also the feed's credential when no resource server
// credential is set), or SHARK_INTROSPECT_CLIENT_ID and
// SHARK_INTROSPECT_CLIENT_SECRET (any client: it sees only the tokens it
// may introspect).
package main
