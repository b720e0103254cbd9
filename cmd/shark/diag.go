package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// version is set at release builds (-ldflags "-X main.version=v1.2.3");
// otherwise the build's VCS stamp says which commit this is.
var version = "dev"

func versionInfo() map[string]string {
	v := map[string]string{"version": version, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v["commit"] = s.Value
			case "vcs.time":
				v["commit_time"] = s.Value
			case "vcs.modified":
				v["modified"] = s.Value
			}
		}
	}
	return v
}

func (c *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print shark's version, commit and Go version", Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			v := versionInfo()
			if c.asJSON {
				b, _ := json.Marshal(v)
				return c.printJSON(b)
			}
			return c.fields("shark", v["version"], "commit", v["commit"], "commit time", v["commit_time"], "modified", v["modified"],
				"go", v["go"], "platform", v["platform"])
		},
	}
}

// whoami says which stack, tenant and admin key the API commands use, and
// checks the key: the listed key with its prefix and suffix is this one.
func (c *cli) whoamiCommand() *cobra.Command {
	return &cobra.Command{
		Use: "whoami", Short: "Show the stack, tenant and admin key the commands use (and check the key)", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l listResp
			if _, err := a.call(ctx, "GET", "/api/v1/api-keys", url.Values{"limit": {"200"}}, nil, &l); err != nil {
				return err
			}
			me := obj{}
			for _, k := range l.Data {
				if p, s := str(k["key_prefix"]), str(k["key_suffix"]); p != "" && strings.HasPrefix(a.key, p) && strings.HasSuffix(a.key, s) {
					me = k
					break
				}
			}
			v := obj{"url": a.root, "tenant": first(c.tenant, "(root tenant)"), "issuer": a.base, "key_id": me["id"], "key_name": me["name"],
				"key_scopes": me["scopes"], "key_expires_at": me["expires_at"], "key_source": c.adminKeySource()}
			if c.asJSON {
				b, _ := json.Marshal(v)
				return c.printJSON(b)
			}
			return c.fields("stack", a.root, "tenant", str(v["tenant"]), "issuer", a.base, "admin key", str(me["id"])+" ("+str(me["name"])+")",
				"key scopes", str(me["scopes"]), "key expires", when(me["expires_at"]), "key from", c.adminKeySource())
		}),
	}
}

func (c *cli) adminKeySource() string {
	switch {
	case c.adminKey != "":
		return "--admin-key"
	case c.env("SHARK_ADMIN_KEY") != "":
		return "SHARK_ADMIN_KEY"
	}
	return c.dataDir() + "/admin.key.firstboot"
}

// healthCommand checks, in order, what the other commands need: the stack
// answers, the tenant resolves, the admin (and platform) key is valid, and
// this machine's clock agrees with the stack's (DPoP proofs and token
// lifetimes depend on it).
func (c *cli) healthCommand() *cobra.Command {
	return &cobra.Command{
		Use: "health", Aliases: []string{"doctor"}, Short: "Check the stack: reachable, tenant resolved, keys valid, clock skew", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			type check struct {
				Name   string `json:"check"`
				OK     bool   `json:"ok"`
				Detail string `json:"detail"`
			}
			var checks []check
			add := func(name string, err error, ok string) {
				if err != nil {
					checks = append(checks, check{name, false, err.Error()})
				} else {
					checks = append(checks, check{name, true, ok})
				}
			}
			base, err := c.baseURL()
			if err != nil {
				return err
			}
			skew, err := c.reach(ctx, base)
			add("stack", err, "answers at "+base)
			if err == nil {
				var serr error
				if skew > 30*time.Second || skew < -30*time.Second {
					serr = fmt.Errorf("this clock is %s off the stack's: DPoP proofs and token times will be refused; sync it (NTP)", skew.Round(time.Second))
				}
				add("clock", serr, fmt.Sprintf("within %s of the stack's", max(skew, -skew).Round(time.Second)+time.Second))
				issuer, ierr := c.issuerURL()
				if ierr == nil {
					ierr = c.resolves(ctx, issuer)
				}
				add("tenant", ierr, "resolved: "+issuer)
				a, aerr := c.admin()
				if aerr == nil {
					_, aerr = a.call(ctx, "GET", "/api/v1/api-keys", url.Values{"limit": {"1"}}, nil, nil)
				}
				add("admin key", aerr, "valid ("+c.adminKeySource()+")")
				if p, perr := c.platform(); perr == nil {
					_, perr = p.call(ctx, "GET", "/platform/v1/tenants", url.Values{"limit": {"1"}}, nil, nil)
					add("platform key", perr, "valid")
				}
			}
			failed := slices.ContainsFunc(checks, func(k check) bool { return !k.OK })
			if c.asJSON {
				b, _ := json.Marshal(map[string]any{"ok": !failed, "checks": checks})
				c.printJSON(b)
			} else {
				for _, k := range checks {
					mark := "ok  "
					if !k.OK {
						mark = "FAIL"
					}
					fmt.Fprintf(c.stdout, "%s  %-13s %s\n", mark, k.Name, cell(k.Detail))
				}
			}
			if failed {
				return errSilent
			}
			return nil
		},
	}
}

// errSilent fails a command whose output already said why.
var errSilent = errors.New("")

// reach GETs /healthz and returns how far the stack's clock (its Date
// header, to the second) is from this one's.
func (c *cli) reach(ctx context.Context, base string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return 0, err
	}
	sent := time.Now()
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, transportError(base, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	got := time.Now()
	if resp.StatusCode != http.StatusOK {
		return 0, wrongURLError{base, "/healthz"}
	}
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return 0, nil
	}
	mid := sent.Add(got.Sub(sent) / 2).Truncate(time.Second)
	return date.Sub(mid), nil
}

// resolves checks that the issuer's metadata names that issuer (the tenant
// exists and is enabled).
func (c *cli) resolves(ctx context.Context, issuer string) error {
	u, _ := url.Parse(issuer)
	meta := u.Scheme + "://" + u.Host + "/.well-known/oauth-authorization-server" + u.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta, nil)
	if err != nil {
		return err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return transportError(issuer, err)
	}
	defer resp.Body.Close()
	var m struct {
		Issuer  string `json:"issuer"`
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m)
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%s: HTTP %d %s", meta, resp.StatusCode, first(m.Message, m.Error))
	case m.Issuer != issuer:
		return fmt.Errorf("the stack names its issuer %s, not %s: is PUBLIC_URL (or --url) the URL clients use?", m.Issuer, issuer)
	}
	return nil
}

// debugCommand holds the debugging aids.
func (c *cli) debugCommand() *cobra.Command {
	var introspect bool
	decode := &cobra.Command{
		Use:   "decode-jwt TOKEN",
		Short: "Decode a JWT, verify it against the tenant's JWKS and (with an admin key) ask introspection whether it is active",
		Long: `Decode any JWT ("-" reads it from stdin, which keeps it out of shell history):
its header and claims, its signature checked against the tenant's JWKS, and,
when an admin key is at hand, its active state from the tenant's
introspection endpoint (revocation, expiry and the other layers as the
server decides them). The token itself is never printed.`,
		Args: exactArgs("TOKEN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			tok := args[0]
			if tok == "-" {
				b, err := io.ReadAll(io.LimitReader(c.stdin, 1<<20))
				if err != nil {
					return err
				}
				tok = strings.TrimSpace(string(b))
			}
			issuer, err := c.issuerURL()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			header, claims, verified := c.inspect(ctx, issuer, tok)
			if verified == "not a JWT" {
				return usageError{errors.New("TOKEN is not a JWT (three base64url parts)")}
			}
			var active map[string]any
			var ierr error
			if introspect {
				active, ierr = c.introspect(ctx, issuer, tok)
			}
			if c.asJSON {
				v := map[string]any{"header": header, "claims": claims, "signature_verified": verified == ""}
				if verified != "" {
					v["signature_error"] = verified
				}
				if active != nil {
					v["introspection"] = active
				} else if ierr != nil {
					v["introspection_error"] = ierr.Error()
				}
				b, _ := json.Marshal(v)
				return c.printJSON(b)
			}
			sig := "valid (" + issuer + "/.well-known/jwks.json)"
			if verified != "" {
				sig = "NOT verified: " + verified
			}
			state := "not asked (--introspect=false)"
			switch {
			case active != nil && active["active"] == true:
				state = "active"
			case active != nil:
				state = "inactive (revoked, expired or not this tenant's)"
			case ierr != nil:
				state = "unknown: " + ierr.Error()
			}
			c.fields("algorithm", str(header["alg"]), "key id", str(header["kid"]), "type", str(header["typ"]), "signature", sig, "active", state)
			fmt.Fprintln(c.stdout, "claims:")
			c.claimFields(claims)
			return nil
		},
	}
	decode.Flags().BoolVar(&introspect, "introspect", true, "ask the tenant's introspection endpoint (needs an admin key)")
	return group("debug", "Debugging aids: decode-jwt", decode)
}

// introspect asks the tenant's introspection endpoint about a token with
// the admin key (WIRE §5.4).
func (c *cli) introspect(ctx context.Context, issuer, tok string) (map[string]any, error) {
	a, err := c.admin()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, issuer+"/oauth/introspect", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+a.key)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, transportError(a.root, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("introspection: HTTP %d %s %s", resp.StatusCode, str(v["error"]), str(v["error_description"]))
	}
	return v, nil
}
