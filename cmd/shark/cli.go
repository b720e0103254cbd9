package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sharkauth/serverless/shared/tenant"
)

// cli is what the API commands share: where output goes, the environment,
// the HTTP client and the flags that say which stack and key to use. Tests
// build one with buffers and an in-process stack.
type cli struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	client         *http.Client
	// after paces `audit tail` (time.After when nil); tests step it.
	after func(time.Duration) <-chan time.Time
	// stdin and terminal answer confirmations: a destructive command asks
	// on a terminal and refuses without one unless --yes (tests fake both).
	stdin    io.Reader
	terminal bool
	// cmd is the running API command (its flags: changed).
	cmd *cobra.Command

	url, tenant, adminKey, platformKey, data string
	asJSON, yes, strict                      bool
}

const defaultURL = "http://localhost:8080"

func (c *cli) addFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&c.url, "url", "", "base URL of the stack (env SHARK_URL; default "+defaultURL+")")
	f.StringVar(&c.tenant, "tenant", "", "path tenant: the admin API is /t/{tenant}/api/v1 (default: the root tenant)")
	f.StringVar(&c.adminKey, "admin-key", "", "tenant admin key sk_live_... (env SHARK_ADMIN_KEY; default <data>/admin.key.firstboot for the root tenant)")
	f.StringVar(&c.platformKey, "platform-key", "", "platform key sk_platform_... (env SHARK_PLATFORM_KEY; default <data>/platform.key.firstboot)")
	f.StringVar(&c.data, "data", "", "data directory of a local stack, for its first-boot keys (env DATA; default ./.data)")
	f.BoolVar(&c.asJSON, "json", false, "print the server's JSON instead of tables (errors as {\"error\",\"message\"} on stderr)")
	f.BoolVarP(&c.yes, "yes", "y", false, "do a destructive command without asking (scripts; without a terminal it is required)")
	f.BoolVar(&c.strict, "strict", false, "exit non-zero on warnings (a user or application that does not exist)")
}

func (c *cli) env(name string) string {
	if c.getenv == nil {
		return ""
	}
	return c.getenv(name)
}

// baseURL is the stack's URL without a trailing slash.
func (c *cli) baseURL() (string, error) {
	raw := first(c.url, c.env("SHARK_URL"), defaultURL)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", usageError{fmt.Errorf("--url %q is not an http(s) URL", raw)}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", usageError{fmt.Errorf("--url %q: the stack's base URL has no query or fragment (e.g. %s, or <ApiUrl>/t/<tenant> on AWS)", raw, defaultURL)}
	}
	base := strings.TrimRight(raw, "/")
	// A tenant's URL (<ApiUrl>/t/acme, what a deployed stack without a
	// RootTenant is reached on) is the stack's URL plus --tenant acme: the
	// platform API and /healthz live at the stack's URL.
	if m := tenantURL.FindStringSubmatch(base); m != nil {
		if c.tenant != "" && c.tenant != m[2] {
			return "", usageError{fmt.Errorf("--url %s names tenant %s but --tenant is %s", base, m[2], c.tenant)}
		}
		c.tenant = m[2]
		base = m[1]
	}
	return base, nil
}

var tenantURL = regexp.MustCompile(`^(.*)/t/([^/]+)$`)

// issuerURL is the tenant's base: the stack's URL, plus /t/{tenant} for a
// path tenant.
func (c *cli) issuerURL() (string, error) {
	base, err := c.baseURL()
	if err != nil {
		return "", err
	}
	if c.tenant == "" {
		return base, nil
	}
	id, err := tenant.ParseID(c.tenant)
	if err != nil {
		return "", usageError{fmt.Errorf("--tenant: %w", err)}
	}
	return base + "/t/" + id.String(), nil
}

func (c *cli) dataDir() string { return first(c.data, c.env("DATA"), "./.data") }

// key finds a key: the flag, the environment, then the first-boot file of
// the local data dir.
func (c *cli) key(flagValue, envName, file, what string) (string, error) {
	if k := first(flagValue, c.env(envName)); k != "" {
		return k, nil
	}
	path := filepath.Join(c.dataDir(), file)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no %s: pass --%s, set %s, or run against a local stack whose data dir holds %s", what, strings.ReplaceAll(what, " ", "-"), envName, path)
	}
	return strings.TrimSpace(string(b)), nil
}

// admin is a client of the tenant's admin API.
func (c *cli) admin() (*api, error) {
	base, err := c.issuerURL()
	if err != nil {
		return nil, err
	}
	var key string
	if c.tenant != "" {
		// The first-boot key belongs to the root tenant only.
		if key = first(c.adminKey, c.env("SHARK_ADMIN_KEY")); key == "" {
			return nil, fmt.Errorf("no admin key for tenant %s: pass --admin-key or set SHARK_ADMIN_KEY", c.tenant)
		}
	} else if key, err = c.key(c.adminKey, "SHARK_ADMIN_KEY", "admin.key.firstboot", "admin key"); err != nil {
		return nil, err
	}
	if err := keyKind(key, "admin"); err != nil {
		return nil, err
	}
	root, _ := c.baseURL()
	return &api{base: base, key: key, root: root, http: c.httpClient()}, nil
}

// platform is a client of the platform API.
func (c *cli) platform() (*api, error) {
	base, err := c.baseURL()
	if err != nil {
		return nil, err
	}
	key, err := c.key(c.platformKey, "SHARK_PLATFORM_KEY", "platform.key.firstboot", "platform key")
	if err != nil {
		return nil, err
	}
	if err := keyKind(key, "platform"); err != nil {
		return nil, err
	}
	return &api{base: base, key: key, root: base, http: c.httpClient()}, nil
}

func (c *cli) httpClient() *http.Client {
	if c.client != nil {
		return c.client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// api calls one of the stack's JSON APIs with a bearer key.
type api struct {
	base, key string
	root      string // the stack's URL, for messages
	http      *http.Client
}

// apiError is a refusal from the server, with its flat error body.
type apiError struct {
	Status  int
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *apiError) Error() string {
	switch {
	case e.Message != "":
		return fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Code)
	case e.Code != "":
		return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// do sends a request; body (when not nil) is sent as JSON. The answer's
// body is returned raw; anything but 2xx is an *apiError.
func (a *api) do(ctx context.Context, method, path string, query url.Values, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	u := a.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, transportError(a.root, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &apiError{Status: resp.StatusCode}
		json.Unmarshal(raw, e)
		// API Gateway's (or any other server's) 404, or the local runner's
		// "no route": the base URL is not the stack's.
		if e.Status == http.StatusNotFound && (e.Code == "" || strings.HasPrefix(e.Message, "no route for ")) {
			return nil, wrongURLError{a.base, path}
		}
		return nil, e
	}
	return raw, nil
}

// call sends a request and decodes a JSON answer into out (when not nil).
func (a *api) call(ctx context.Context, method, path string, query url.Values, body, out any) ([]byte, error) {
	raw, err := a.do(ctx, method, path, query, body)
	if err != nil || out == nil || len(raw) == 0 {
		return raw, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return raw, fmt.Errorf("the server's answer is not the expected JSON: %w", err)
	}
	return raw, nil
}

// ---- output ----

// printJSON writes a server answer, indented, to stdout.
func (c *cli) printJSON(raw []byte) error {
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := c.stdout.Write(buf.Bytes())
	return err
}

// table prints rows under a header as aligned columns.
func (c *cli) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		for i := range r {
			r[i] = cell(r[i])
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// fields prints name/value pairs as two aligned columns.
func (c *cli) fields(pairs ...string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "%s:\t%s\n", pairs[i], cell(pairs[i+1]))
	}
	return tw.Flush()
}

// cell makes a value safe for one table cell: control characters (a name
// is user data) cannot break the layout or drive the terminal.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

// secret prints name/value pairs ending with a secret, then the line that
// says the secret is shown once.
func (c *cli) secret(name, value string, pairs ...string) {
	c.fields(append(pairs, name, value)...)
	fmt.Fprintf(c.stdout, "This %s is shown once: store it now (a secret manager, or your database, encrypted).\n", name)
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// str renders a JSON value for a table cell.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = str(e)
		}
		return strings.Join(parts, " ")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// when shortens an RFC 3339 time for a table.
func when(v any) string {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// obj is a decoded JSON object.
type obj = map[string]any

// list is the {"data":[...]} shape of the list endpoints.
type list struct {
	Data       []obj   `json:"data"`
	Total      *int    `json:"total"`
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
}
