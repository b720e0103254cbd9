package main

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"
)

// agentAuditCommand is `shark agent audit AGENT`: the agent's audit events
// (as actor or target), newest first, a page at a time.
func (c *cli) agentAuditCommand() *cobra.Command {
	var cursor string
	var limit int
	cmd := &cobra.Command{
		Use: "audit AGENT", Short: "List an agent's audit events (it caused them or they are about it), newest first", Args: exactArgs("AGENT"),
		RunE: c.withAdmin(func(ctx context.Context, a *api, args []string) error {
			q := pageQuery(limit, 0)
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			var l listResp
			raw, err := a.call(ctx, "GET", "/api/v1/agents/"+url.PathEscape(args[0])+"/audit", q, nil, &l)
			if err != nil || c.asJSON {
				return c.out(raw, err)
			}
			rows := [][]string{}
			for _, x := range l.Data {
				rows = append(rows, []string{when(x["created_at"]), str(x["event"]), str(x["actor_id"]), str(x["target_id"]), str(x["id"])})
			}
			if err := c.table([]string{"TIME", "EVENT", "ACTOR", "TARGET", "ID"}, rows); err != nil {
				return err
			}
			c.more(l)
			return nil
		}),
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "page size (1-200)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "the next_cursor of the previous page")
	return cmd
}
