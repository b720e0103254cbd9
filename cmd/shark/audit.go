package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// auditFilter is the filters the audit commands share (WIRE §8).
type auditFilter struct {
	events               []string
	actor, target        string
	since, until, cursor string
	limit                int
}

func (f *auditFilter) flags(cmd *cobra.Command, until, paging bool) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.events, "event", nil, "only these events, e.g. agent.created,oauth.token_issued (repeatable)")
	fl.StringVar(&f.actor, "actor", "", "only events by this actor (an agent's id or client_id matches both)")
	fl.StringVar(&f.target, "target", "", "only events about this target")
	fl.StringVar(&f.since, "since", "", "only events at or after this time (RFC 3339, or a date: 2026-01-01 is 00:00Z)")
	if until {
		fl.StringVar(&f.until, "until", "", "only events at or before this time (RFC 3339, or a date: 2026-01-01 is 00:00Z)")
	}
	if paging {
		fl.StringVar(&f.cursor, "cursor", "", "the next_cursor of the previous page")
	}
}

func (f *auditFilter) query() url.Values {
	q := url.Values{}
	if ev := splitList(f.events); len(ev) > 0 {
		q.Set("event", joinComma(ev))
	}
	for k, v := range map[string]string{"actor_id": f.actor, "target_id": f.target, "since": dateTime(f.since), "until": dateTime(f.until), "cursor": f.cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.limit > 0 {
		q.Set("limit", strconv.Itoa(f.limit))
	}
	return q
}

func joinComma(vs []string) string {
	out := ""
	for i, v := range vs {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}

func (c *cli) auditCommand() *cobra.Command {
	var lf auditFilter
	list := &cobra.Command{
		Use: "list", Short: "List audit events, newest first", Args: noArgs,
		Example: `  shark audit list --event agent.created --since 2026-01-01T00:00:00Z
  shark audit list --actor shark_agent_... --json`,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			var l list
			raw, err := a.call(ctx, "GET", "/api/v1/audit-logs", lf.query(), nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			if err := c.eventTable(l.Data); err != nil {
				return err
			}
			c.more(l)
			return nil
		}),
	}
	lf.flags(list, true, true)
	list.Flags().IntVar(&lf.limit, "limit", 0, "page size (1-200, default 50)")

	var tf auditFilter
	var interval time.Duration
	tail := &cobra.Command{
		Use: "tail", Short: "Print the latest audit events, then follow new ones until interrupted (Ctrl-C)", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			if interval <= 0 {
				return usageError{fmt.Errorf("--interval must be positive")}
			}
			return c.tail(ctx, a, tf, interval)
		}),
	}
	tf.flags(tail, false, false)
	tail.Flags().IntVar(&tf.limit, "limit", 10, "how many past events to print first (0-200)")
	tail.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often to ask for new events")

	var ef auditFilter
	var format, output string
	export := &cobra.Command{
		Use: "export [--format ndjson|csv] [--output FILE]", Short: "Export audit events as NDJSON or CSV", Args: noArgs,
		RunE: c.withAdmin(func(ctx context.Context, a *api, _ []string) error {
			if format != "ndjson" && format != "csv" {
				return usageError{fmt.Errorf("--format must be ndjson or csv")}
			}
			body := map[string]any{"format": format}
			for k, v := range ef.query() {
				body[k] = v[0]
			}
			raw, err := a.do(ctx, "POST", "/api/v1/audit-logs/export", nil, body)
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = c.stdout.Write(raw)
				return err
			}
			if err := os.WriteFile(output, raw, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "wrote %d bytes to %s\n", len(raw), output)
			return nil
		}),
	}
	ef.flags(export, true, false)
	export.Flags().StringVar(&format, "format", "ndjson", "ndjson or csv")
	export.Flags().StringVarP(&output, "output", "o", "", "write to this file (mode 0600) instead of stdout")
	return group("audit", "The audit log: list, tail, export", list, tail, export)
}

func (c *cli) eventTable(events []obj) error {
	rows := [][]string{}
	for _, e := range events {
		rows = append(rows, eventRow(e))
	}
	return c.table([]string{"TIME", "EVENT", "ACTOR", "TARGET", "STATUS", "ID"}, rows)
}

func eventRow(e obj) []string {
	return []string{when(e["created_at"]), first(str(e["event"]), str(e["action"])), str(e["actor_id"]), str(e["target_id"]), str(e["status"]), str(e["id"])}
}

// tail prints the latest events oldest first, then asks every interval for
// events since the newest one seen, printing each event once.
func (c *cli) tail(ctx context.Context, a *api, f auditFilter, interval time.Duration) error {
	after := c.after
	if after == nil {
		after = time.After
	}
	seen := map[string]bool{}
	newest := ""
	emit := func(events []obj) error {
		// The API answers newest first; a tail prints oldest first.
		for _, e := range slices.Backward(events) {
			id := str(e["id"])
			if seen[id] {
				continue
			}
			seen[id] = true
			if ts := str(e["created_at"]); ts > newest {
				newest = ts
			}
			if c.asJSON {
				b, _ := json.Marshal(e)
				fmt.Fprintf(c.stdout, "%s\n", b)
				continue
			}
			row := eventRow(e)
			for i := range row {
				row[i] = cell(row[i])
			}
			fmt.Fprintf(c.stdout, "%s  %-24s  actor=%s  target=%s  %s  %s\n", row[0], row[1], row[2], row[3], row[4], row[5])
		}
		return nil
	}
	var first list
	q := f.query()
	if f.limit <= 0 {
		// No backlog: the newest event only marks where following starts.
		q.Set("limit", "1")
	}
	if _, err := a.call(ctx, "GET", "/api/v1/audit-logs", q, nil, &first); err != nil {
		return err
	}
	if f.limit <= 0 {
		for _, e := range first.Data {
			seen[str(e["id"])] = true
			newest = str(e["created_at"])
		}
		first.Data = nil
	}
	if !c.asJSON {
		fmt.Fprintln(c.stderr, "following the audit log; Ctrl-C stops")
	}
	emit(first.Data)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-after(interval):
		}
		q := f.query()
		q.Set("limit", "200")
		if newest != "" {
			q.Set("since", newest)
		}
		// Walk every page of what is new; newest first across pages.
		var fresh []obj
		for page := 0; page < 50; page++ {
			var l list
			if _, err := a.call(ctx, "GET", "/api/v1/audit-logs", q, nil, &l); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			fresh = append(fresh, l.Data...)
			if !l.HasMore || l.NextCursor == nil {
				break
			}
			q.Set("cursor", *l.NextCursor)
		}
		emit(fresh)
	}
}
