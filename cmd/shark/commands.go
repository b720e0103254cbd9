package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// withAdmin runs fn with a client of the tenant's admin API.
func (c *cli) withAdmin(fn func(ctx context.Context, a *api, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := c.admin()
		if err != nil {
			return err
		}
		c.cmd = cmd
		return fn(cmd.Context(), a, args)
	}
}

func (c *cli) withPlatform(fn func(ctx context.Context, a *api, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		a, err := c.platform()
		if err != nil {
			return err
		}
		c.cmd = cmd
		return fn(cmd.Context(), a, args)
	}
}

// changed reports whether the running command's flag was given.
func (c *cli) changed(name string) bool {
	return c.cmd != nil && c.cmd.Flags().Changed(name)
}

func group(use, short string, children ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.ArbitraryArgs, RunE: func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
		}
		return usageError{fmt.Errorf("a subcommand is required")}
	}}
	cmd.AddCommand(children...)
	return cmd
}

// pageQuery is the limit (and offset) of a list command.
func pageQuery(limit, offset int) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return q
}

// splitList accepts repeated flags and comma lists: --scopes a,b --scopes c.
func splitList(vs []string) []string {
	out := []string{}
	for _, v := range vs {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			out = append(out, p)
		}
	}
	return out
}

// ---- shared output ----

type listResp = list

// out prints a server answer as JSON (after an error, returns it).
func (c *cli) out(raw []byte, err error) error {
	if err != nil {
		return err
	}
	return c.printJSON(raw)
}

// done reports an action that returns no body.
func (c *cli) done(v obj, text string) error {
	if c.asJSON {
		b, _ := json.Marshal(v)
		return c.printJSON(b)
	}
	_, err := fmt.Fprintln(c.stdout, text)
	return err
}

// more tells how to get the next page of a cursor-paged list.
func (c *cli) more(l list) {
	if l.HasMore && l.NextCursor != nil {
		fmt.Fprintf(c.stderr, "more: --cursor %s\n", *l.NextCursor)
	}
}

// tokenState is a listed token's state as the server decided it (active,
// revoked_reason: the five revocation layers), not revoked_at alone.
func tokenState(x obj) string {
	switch {
	case x["active"] == true:
		return "active"
	case x["revoked_reason"] != nil:
		return "revoked (" + str(x["revoked_reason"]) + ")"
	}
	return "expired"
}

// dateTime reads a time flag: RFC 3339 as given, or a bare date
// (2026-01-01) as its midnight UTC. Anything else goes to the server, which
// says what is wrong with it.
func dateTime(v string) string {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	return v
}
