package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// confirm asks before a destructive command: on a terminal it names the
// object and waits for y; without a terminal it refuses unless --yes, so a
// script never deletes by accident and never hangs on a prompt.
func (c *cli) confirm(prompt string) error {
	if c.yes {
		return nil
	}
	if !c.terminal || c.stdin == nil {
		return confirmError{fmt.Sprintf("%s\nnot done: no terminal to ask on; pass --yes to confirm", prompt)}
	}
	fmt.Fprintf(c.stderr, "%s\nContinue? [y/N] ", prompt)
	line, _ := bufio.NewReader(c.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errors.New("aborted: nothing was changed")
}

// confirmError is a destructive command refused for want of a
// confirmation: exit 2, like a usage error, without the usage.
type confirmError struct{ msg string }

func (e confirmError) Error() string { return e.msg }

// warnError is a warning that --strict makes a failure.
type warnError struct{ msg string }

func (e warnError) Error() string { return e.msg }

// warn prints a warning on stderr; with --strict it is the command's error
// (exit 1) instead.
func (c *cli) warn(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if c.strict {
		return warnError{msg}
	}
	fmt.Fprintln(c.stderr, "shark: warning:", msg)
	return nil
}

// exists asks whether an object is there (GET path answers 2xx); a 404 is
// false, anything else the error.
func exists(ctx context.Context, a *api, path string) (bool, obj, error) {
	var x obj
	_, err := a.call(ctx, "GET", path, nil, nil, &x)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == 404 && ae.Code == "not_found" {
		return false, nil, nil
	}
	return err == nil, x, err
}

// named is how a prompt names an object: its id and, when it has one, its
// name.
func named(kind, id string, x obj) string {
	for _, k := range []string{"name", "email"} {
		if v, _ := x[k].(string); v != "" {
			return fmt.Sprintf("%s %s (%s)", kind, id, cell(v))
		}
	}
	return kind + " " + id
}

// stackDownError is a stack that does not answer at all.
type stackDownError struct {
	base string
	err  error
}

func (e stackDownError) Error() string {
	return fmt.Sprintf("no SharkAuth stack at %s: start it with `make run` or pass --url/SHARK_URL (%v)", e.base, e.err)
}

func (e stackDownError) Unwrap() error { return e.err }

// transportError explains an HTTP client error: a refused or unresolvable
// address is a stack that is not there.
func transportError(base string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var op *net.OpError
	var dns *net.DNSError
	var ue *url.Error
	if errors.As(err, &op) || errors.As(err, &dns) || errors.As(err, &ue) && ue.Timeout() {
		return stackDownError{base, err}
	}
	return err
}

// wrongURLError is a 404 that no SharkAuth function wrote (API Gateway's or
// another server's): the base URL is not the stack's.
type wrongURLError struct{ base, path string }

func (e wrongURLError) Error() string {
	return fmt.Sprintf("no SharkAuth API at %s (HTTP 404 for %s): --url/SHARK_URL is the stack's base URL, e.g. %s, or <ApiUrl>/t/<tenant> on AWS when the stack has no RootTenant",
		e.base, e.path, defaultURL)
}

// keyKind refuses a key of the wrong kind before it is sent: a platform key
// where an admin key belongs, or the reverse.
func keyKind(key, want string) error {
	switch {
	case want == "admin" && strings.HasPrefix(key, "sk_platform_"):
		return errors.New("the admin key is a platform key (sk_platform_...): the admin API takes a tenant's admin key (sk_live_...); a platform key is for `shark tenant ...` (--platform-key, SHARK_PLATFORM_KEY)")
	case want == "platform" && strings.HasPrefix(key, "sk_live_"):
		return errors.New("the platform key is a tenant admin key (sk_live_...): `shark tenant ...` takes the platform key (sk_platform_...; --platform-key, SHARK_PLATFORM_KEY)")
	}
	return nil
}

// printError writes a failed command's error: a line of text, or with
// --json the {"error","message"} shape of the server's own errors.
func (c *cli) printError(err error) {
	if !c.asJSON {
		fmt.Fprintln(c.stderr, "shark:", err)
		return
	}
	v := map[string]any{"error": "failed", "message": err.Error()}
	var ae *apiError
	var down stackDownError
	var wrong wrongURLError
	var warned warnError
	switch {
	case errors.As(err, &ae):
		v["error"], v["message"], v["status"] = first(ae.Code, "http_error"), first(ae.Message, ae.Error()), ae.Status
	case errors.As(err, new(usageError)):
		v["error"] = "usage"
	case errors.As(err, new(confirmError)):
		v["error"] = "not_confirmed"
	case errors.As(err, &down):
		v["error"] = "unreachable"
	case errors.As(err, &wrong):
		v["error"] = "wrong_url"
	case errors.As(err, &warned):
		v["error"] = "not_found"
	}
	b, _ := json.Marshal(v)
	fmt.Fprintln(c.stderr, string(b))
}

// empty says a list has nothing, instead of a bare header.
func (c *cli) empty(what string) error {
	_, err := fmt.Fprintf(c.stdout, "no %s\n", what)
	return err
}
