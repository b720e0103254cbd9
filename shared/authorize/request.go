package authorize

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/sharkauth/serverless/shared/cimd"
	"github.com/sharkauth/serverless/shared/oauth"
	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// request is a validated authorization request.
type request struct {
	raw         string // the query string as received: the forms carry it
	client      client
	redirectURI string
	state       string
	scopes      []string
	resources   []string
	challenge   string
	prompt      map[string]bool
	loginHint   string
	dpopJKT     string
}

// pageError is an error found before the client and its redirect URI are
// validated: it is shown on a page, never sent to the redirect URI.
type pageError struct {
	status int
	msg    string
	cause  error // an internal failure (logged, not shown)
}

func (e *pageError) Error() string { return e.msg }

// redirectError is an error sent to the validated redirect URI (RFC 6749
// §4.1.2.1).
type redirectError struct {
	code, description string
}

func (e *redirectError) Error() string { return e.code + ": " + e.description }

func refuse(code, description string) *redirectError {
	return &redirectError{code: code, description: description}
}

// once are the parameters that may appear at most once (RFC 6749 §3.1);
// resource may repeat (RFC 8707 §2).
var once = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
	"code_challenge_method", "prompt", "login_hint", "dpop_jkt"}

// parse validates the authorization request in raw (a query string). It
// returns a *pageError for what is wrong before the client and redirect URI
// are known, else the request (with a *redirectError for what is wrong
// after).
func (h *Handler) parse(ctx context.Context, t tenant.Tenant, rec store.Tenant, raw string) (request, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return request{}, &pageError{status: 400, msg: "The authorization request is malformed."}
	}
	for _, k := range []string{"client_id", "redirect_uri"} {
		if len(q[k]) > 1 {
			return request{}, &pageError{status: 400, msg: "The authorization request has more than one " + k + "."}
		}
	}
	req := request{raw: raw, state: q.Get("state")}
	clientID := q.Get("client_id")
	if clientID == "" {
		return request{}, &pageError{status: 400, msg: "The authorization request has no client_id."}
	}
	if req.client, err = h.client(ctx, t, clientID); err != nil {
		return request{}, err
	}
	req.redirectURI = q.Get("redirect_uri")
	if req.redirectURI == "" {
		if len(req.client.RedirectURIs) != 1 {
			return request{}, &pageError{status: 400, msg: "The authorization request has no redirect_uri."}
		}
		req.redirectURI = req.client.RedirectURIs[0]
	}
	if !matchRedirect(req.client.RedirectURIs, req.redirectURI) {
		return request{}, &pageError{status: 400, msg: "The redirect_uri is not registered for this application."}
	}

	// From here on, errors go back to the client.
	for _, k := range once {
		if len(q[k]) > 1 {
			return req, refuse("invalid_request", k+" is given more than once")
		}
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		return req, refuse("invalid_request", "response_type is required")
	case rt != string(oauth.ResponseCode):
		return req, refuse("unsupported_response_type", "only response_type=code is supported")
	}
	if !req.client.CodeGrant {
		return req, refuse("unauthorized_client", "the client may not use the authorization_code grant")
	}
	if m := q.Get("code_challenge_method"); m != string(oauth.ChallengeS256) {
		return req, refuse("invalid_request", "PKCE with code_challenge_method=S256 is required (plain is not allowed)")
	}
	req.challenge = q.Get("code_challenge")
	if !isB64Digest(req.challenge) {
		return req, refuse("invalid_request", "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")
	}
	req.prompt = map[string]bool{}
	for _, p := range strings.Fields(q.Get("prompt")) {
		if p != "login" && p != "consent" && p != "none" {
			return req, refuse("invalid_request", "prompt must be login, consent or none")
		}
		req.prompt[p] = true
	}
	if req.prompt["none"] && len(req.prompt) > 1 {
		return req, refuse("invalid_request", "prompt=none cannot be combined with other values")
	}
	allowed := req.client.Scopes
	if allowed == nil {
		allowed = rec.RegistrableScopes()
	}
	req.scopes = strings.Fields(q.Get("scope"))
	if len(req.scopes) == 0 {
		req.scopes = slices.Clone(allowed)
	}
	slices.Sort(req.scopes)
	req.scopes = slices.Compact(req.scopes)
	for _, s := range req.scopes {
		if !slices.Contains(allowed, s) {
			return req, refuse("invalid_scope", "scope "+s+" is not allowed for this client")
		}
	}
	for _, res := range q["resource"] {
		u, err := url.Parse(res)
		if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || strings.Contains(res, "#") {
			return req, refuse("invalid_target", "resource must be an absolute URI without a fragment")
		}
		if (len(rec.Audiences) > 0 && !slices.Contains(rec.Audiences, res)) ||
			(len(req.client.Audiences) > 0 && !slices.Contains(req.client.Audiences, res)) {
			return req, refuse("invalid_target", "resource "+res+" is not an audience of this client")
		}
		if !slices.Contains(req.resources, res) {
			req.resources = append(req.resources, res)
		}
	}
	if jkt := q.Get("dpop_jkt"); jkt != "" {
		if !isB64Digest(jkt) {
			return req, refuse("invalid_request", "dpop_jkt must be a base64url SHA-256 JWK thumbprint")
		}
		req.dpopJKT = jkt
	}
	req.loginHint = q.Get("login_hint")
	if len(req.loginHint) > 254 {
		req.loginHint = ""
	}
	return req, nil
}

// client finds the client named by clientID: a metadata document (CIMD)
// or a registered client of the tenant.
func (h *Handler) client(ctx context.Context, t tenant.Tenant, clientID string) (client, error) {
	if cimd.IsCIMD(clientID) {
		if h.CIMD == nil {
			return client{}, &pageError{status: 400, msg: "This server does not accept Client ID Metadata Documents (a client_id that is a URL)."}
		}
		c, err := h.CIMD.Resolve(ctx, clientID)
		if err != nil {
			return client{}, &pageError{status: 400, msg: "The application's metadata document could not be used."}
		}
		return described(c), nil
	}
	c, err := h.Store.GetClient(ctx, t.ID, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return client{}, &pageError{status: 400, msg: "The application is not known here."}
	case err != nil:
		return client{}, &pageError{status: 500, msg: "The service failed; try again.", cause: err}
	case !c.Active, c.Kind == store.KindResourceServer: // a resource server is never issued a token
		return client{}, &pageError{status: 400, msg: "The application is not known here."}
	}
	return registered(c), nil
}

// isB64Digest reports whether s is the unpadded base64url of 32 bytes.
func isB64Digest(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
