package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/spf13/cobra"

	"github.com/sharkauth/serverless/shared/dpop"
	"github.com/sharkauth/serverless/shared/oauth"
)

// tokenCommand gets a DPoP-bound client_credentials token for an agent and
// prints its decoded, verified claims: a debugging aid for integrators.
func (c *cli) tokenCommand() *cobra.Command {
	var clientID, secret, scope, audience string
	var showToken bool
	cmd := &cobra.Command{
		Use:   "token --client-id shark_agent_... [--scope 'a b']",
		Short: "Get a DPoP-bound token for an agent and print its decoded claims",
		Long: `Get a DPoP-bound access token for an agent (client_credentials, with a fresh
P-256 DPoP key), check its signature against the tenant's JWKS and print its
claims. The secret comes from --client-secret or SHARK_CLIENT_SECRET (an
environment variable keeps it out of the process list and shell history).
The token itself is printed only with --show-token or --json.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secret = first(secret, c.env("SHARK_CLIENT_SECRET"))
			if secret == "" {
				return usageError{fmt.Errorf("no client secret: pass --client-secret or set SHARK_CLIENT_SECRET")}
			}
			issuer, err := c.issuerURL()
			if err != nil {
				return err
			}
			return c.token(cmd.Context(), issuer, clientID, secret, scope, audience, showToken)
		},
	}
	f := cmd.Flags()
	f.StringVar(&clientID, "client-id", "", "the agent's client_id (required)")
	f.StringVar(&secret, "client-secret", "", "the agent's secret (env SHARK_CLIENT_SECRET)")
	f.StringVar(&scope, "scope", "", "space-separated scopes to request")
	f.StringVar(&audience, "resource", "", "the resource (RFC 8707) the token is for")
	f.StringVar(&audience, "audience", "", "the same as --resource (the token's aud)")
	f.BoolVar(&showToken, "show-token", false, "also print the access token")
	cmd.MarkFlagRequired("client-id")
	return cmd
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

func (c *cli) token(ctx context.Context, issuer, clientID, secret, scope, resource string, show bool) error {
	prover, err := dpop.NewProver()
	if err != nil {
		return err
	}
	jkt := prover.JKT()
	endpoint := issuer + "/oauth/token"
	form := url.Values{"grant_type": {string(oauth.GrantClientCredentials)}}
	if scope != "" {
		form.Set("scope", scope)
	}
	if resource != "" {
		form.Set("resource", resource)
	}
	var ans tokenAnswer
	nonce := ""
	for attempt := 0; attempt < 2; attempt++ {
		proof, err := prover.Proof(dpop.ProofClaims{HTM: http.MethodPost, HTU: endpoint, IAT: time.Now(), Nonce: nonce})
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
		req.Header.Set("DPoP", proof)
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return err
		}
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		ans = tokenAnswer{}
		json.Unmarshal(raw, &ans)
		if ans.Error == "use_dpop_nonce" && resp.Header.Get("DPoP-Nonce") != "" && nonce == "" {
			nonce = resp.Header.Get("DPoP-Nonce")
			continue
		}
		if resp.StatusCode != http.StatusOK {
			if ans.Error == "" {
				return fmt.Errorf("token endpoint: HTTP %d", resp.StatusCode)
			}
			return fmt.Errorf("%s: %s (HTTP %d)", ans.Error, ans.Description, resp.StatusCode)
		}
		break
	}
	header, claims, verified := c.inspect(ctx, issuer, ans.AccessToken)
	if c.asJSON {
		b, err := json.Marshal(map[string]any{"access_token": ans.AccessToken, "token_type": ans.TokenType, "expires_in": ans.ExpiresIn,
			"scope": ans.Scope, "dpop_jkt": jkt, "header": header, "claims": claims, "signature_verified": verified == ""})
		if err != nil {
			return err
		}
		return c.printJSON(b)
	}
	sig := "valid (tenant JWKS)"
	if verified != "" {
		sig = "NOT verified: " + verified
	}
	bound := "no cnf.jkt"
	if cnf, ok := claims["cnf"].(map[string]any); ok {
		bound = "cnf.jkt does not match the DPoP key"
		if cnf["jkt"] == jkt {
			bound = "yes, to this DPoP key (cnf.jkt " + jkt + ")"
		}
	}
	c.fields("token type", ans.TokenType, "expires in", fmt.Sprintf("%ds", ans.ExpiresIn), "scope", ans.Scope,
		"signature", sig, "key id", str(header["kid"]), "DPoP-bound", bound)
	fmt.Fprintln(c.stdout, "claims:")
	c.claimFields(claims)
	if show {
		fmt.Fprintf(c.stdout, "access token: %s\n", ans.AccessToken)
	}
	return nil
}

// claimFields prints a JWT's claims, sorted, times also in RFC 3339.
func (c *cli) claimFields(claims map[string]any) {
	names := make([]string, 0, len(claims))
	for k := range claims {
		names = append(names, k)
	}
	slices.Sort(names)
	var pairs []string
	for _, k := range names {
		v := str(claims[k])
		if n, ok := claims[k].(float64); ok && (k == "exp" || k == "iat" || k == "nbf") {
			v = fmt.Sprintf("%.0f (%s)", n, time.Unix(int64(n), 0).UTC().Format(time.RFC3339))
		}
		pairs = append(pairs, "  "+k, v)
	}
	c.fields(pairs...)
}

// inspect decodes a JWT access token and verifies it against the issuer's
// JWKS; verified is empty when the signature checks out, else the reason.
func (c *cli) inspect(ctx context.Context, issuer, token string) (header, claims map[string]any, verified string) {
	header, claims = map[string]any{}, map[string]any{}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return header, claims, "not a JWT"
	}
	for i, into := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err == nil {
			json.Unmarshal(b, into)
		}
	}
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		return header, claims, "unparseable JWS"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/jwks.json", nil)
	if err != nil {
		return header, claims, err.Error()
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return header, claims, "JWKS unreachable"
	}
	defer resp.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return header, claims, "JWKS unreadable"
	}
	keys := set.Key(str(header["kid"]))
	if len(keys) == 0 {
		return header, claims, "kid not in the JWKS"
	}
	if _, err := jws.Verify(keys[0]); err != nil {
		return header, claims, "bad signature"
	}
	return header, claims, ""
}
