package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sharkauth/serverless/sdk/go/mcpauth"
	"github.com/sharkauth/serverless/sdk/go/resource"
)

// newServer serves, behind mcpauth.Require, the MCP endpoint at the
// resource's path (the official go-sdk's streamable HTTP transport: POST,
// GET with Accept text/event-stream, DELETE) and a plain "who am I" JSON
// answer for GET on any other path (what the integration guides call: GET
// {resource}/resource); and, without authentication, the RFC 9728
// protected-resource metadata and /healthz.
func newServer(v *resource.Verifier, resourceURL string) (http.Handler, error) {
	u, err := url.Parse(resourceURL)
	if err != nil {
		return nil, err
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "sharkauth-example-mcp", Version: "0.2.0"}, nil)
	mcp.AddTool(srv, &mcp.Tool{
		Name:        "whoami",
		Description: "Returns the verified identity of the caller (subject, client, agent, scopes, delegation chain).",
	}, whoami)
	protected := mcpauth.Require(v)(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	who := v.Middleware(http.HandlerFunc(serveWhoAmI))

	mux := http.NewServeMux()
	mux.Handle("GET "+v.MetadataPath(), v.MetadataHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.Handle("POST "+path, protected)
	mux.Handle("DELETE "+path, protected)
	mux.Handle("GET /", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The MCP client's server-to-client stream on the endpoint itself;
		// every other GET is the plain answer.
		if r.URL.Path == path && strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			protected.ServeHTTP(w, r)
			return
		}
		who.ServeHTTP(w, r)
	}))
	return mux, nil
}

// serveWhoAmI answers GET with the caller's verified claims.
func serveWhoAmI(w http.ResponseWriter, r *http.Request) {
	claims, ok := resource.ClaimsFrom(r.Context())
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "caller": callerOf(claims)})
}

// caller is what the tool reports about the verified caller.
type caller struct {
	Subject  string   `json:"sub"`
	ClientID string   `json:"client_id"`
	AgentID  string   `json:"agent_id,omitempty"`
	Scopes   []string `json:"scopes"`
	Scheme   string   `json:"scheme"`
	JKT      string   `json:"jkt,omitempty"`
	Actors   []actor  `json:"act,omitempty"`
}

// actor is one link of the delegation chain, current actor first (flat, so
// that the tool's output schema is not recursive).
type actor struct {
	Subject string `json:"sub"`
	JKT     string `json:"jkt,omitempty"`
}

func callerOf(c *resource.Claims) caller {
	out := caller{Subject: c.Subject, ClientID: c.ClientID, AgentID: c.AgentID, Scopes: c.Scopes(), Scheme: c.Scheme, JKT: c.JKT}
	for _, a := range c.ActorChain() {
		out.Actors = append(out.Actors, actor{Subject: a.Subject, JKT: a.JKT})
	}
	return out
}

// whoami is the tool: the claims mcpauth.Require verified for this request.
func whoami(_ context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, caller, error) {
	c, ok := mcpauth.Claims(req.Extra.TokenInfo)
	if !ok {
		return nil, caller{}, errors.New("no verified caller")
	}
	return nil, callerOf(c), nil
}
