package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/sharkauth/serverless/sdk/go/resource"
)

const maxBody = 1 << 20

// newServer serves, behind the middleware, the MCP endpoint (POST at the
// resource's path) and a plain "who am I" JSON answer for GET on any other
// path (what the integration guides call: GET {resource}/resource); and,
// without authentication, the protected-resource metadata and /healthz.
func newServer(v *resource.Verifier, resourceURL string) (http.Handler, error) {
	u, err := url.Parse(resourceURL)
	if err != nil {
		return nil, err
	}
	path := u.Path
	if path == "" {
		path = "/"
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+v.MetadataPath(), v.MetadataHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.Handle("POST "+path, v.Middleware(http.HandlerFunc(serveMCP)))
	mux.Handle("GET /", v.Middleware(http.HandlerFunc(serveWhoAmI)))
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

type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// caller is what the tools report about the verified caller.
type caller struct {
	Subject  string           `json:"sub"`
	ClientID string           `json:"client_id"`
	AgentID  string           `json:"agent_id,omitempty"`
	Scopes   []string         `json:"scopes"`
	Scheme   string           `json:"scheme"`
	JKT      string           `json:"jkt,omitempty"`
	Actors   []resource.Actor `json:"act,omitempty"`
}

func callerOf(c *resource.Claims) caller {
	return caller{Subject: c.Subject, ClientID: c.ClientID, AgentID: c.AgentID, Scopes: c.Scopes(),
		Scheme: c.Scheme, JKT: c.JKT, Actors: c.ActorChain()}
}

var whoami = map[string]any{
	"name":        "whoami",
	"description": "Returns the verified identity of the caller (subject, client, agent, scopes, delegation chain).",
	"inputSchema": map[string]any{"type": "object", "properties": map[string]any{}},
}

func serveMCP(w http.ResponseWriter, r *http.Request) {
	claims, ok := resource.ClaimsFrom(r.Context())
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var req rpcRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&req); err != nil || req.JSONRPC != "2.0" || req.Method == "" {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeRPC(w, status, rpcResponse{JSONRPC: "2.0", ID: json.RawMessage("null"), Error: &rpcError{-32700, "parse error or invalid request"}})
		return
	}
	if req.ID == nil {
		req.ID = json.RawMessage("null")
	}
	resp := rpcResponse{JSONRPC: "2.0", ID: req.ID}
	who := callerOf(claims)
	switch req.Method {
	case "initialize":
		resp.Result = map[string]any{
			"protocolVersion": "2025-06-18",
			"serverInfo":      map[string]any{"name": "sharkauth-example-mcp", "version": "0.1.0"},
			"capabilities":    map[string]any{"tools": map[string]any{}},
		}
	case "tools/list":
		resp.Result = map[string]any{"tools": []any{whoami}, "_meta": map[string]any{"caller": who}}
	case "tools/call":
		var p struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(req.Params, &p); err != nil || p.Name != "whoami" {
			resp.Error = &rpcError{-32602, "unknown tool"}
			break
		}
		text, _ := json.Marshal(who)
		resp.Result = map[string]any{"content": []any{map[string]any{"type": "text", "text": string(text)}}, "structuredContent": who}
	default:
		resp.Error = &rpcError{-32601, "method not found"}
	}
	writeRPC(w, http.StatusOK, resp)
}

func writeRPC(w http.ResponseWriter, status int, resp rpcResponse) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(resp)
}
