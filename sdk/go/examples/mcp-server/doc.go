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
//	SHARK_INTROSPECT_ADMIN_KEY (the tenant's admin key), or
//	SHARK_INTROSPECT_CLIENT_ID and SHARK_INTROSPECT_CLIENT_SECRET: every token
//	is also introspected (immediate revocation). A client may introspect only
//	its own tokens, so a server accepting many agents uses the admin key.
//	-introspect-cache MCP_INTROSPECT_CACHE: how long an answer is reused
//	(default 5s; 0 asks on every request).
package main
