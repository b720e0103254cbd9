// Command shark is SharkAuth's command line: `shark serve` runs the local stack
// (every function on one address, as API Gateway would serve them), and the
// app, agent, user, key, signing-key, tenant, audit and token commands drive
// a running stack through its admin and platform APIs.
//
// The command tree is built with github.com/spf13/cobra: with some forty
// commands, nested two deep, each with its own flags, help and shell
// completion, a hand-written dispatch on os.Args would be a second,
// untested CLI library.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	// SIGINT and SIGTERM end a command gracefully (serve drains its server,
	// audit tail stops following).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line itself: exit status 2, with
// the command's usage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// run executes one command line and returns the process's exit status: 0,
// 1 when the command failed, 2 when the command line is wrong.
func run(ctx context.Context, args []string, c *cli) int {
	root := newRoot(c)
	root.SetArgs(args)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	if len(args) == 0 {
		fmt.Fprint(c.stderr, root.UsageString())
		return 2
	}
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	if cmd, _, err := root.Find(args); err != nil || cmd == root && !isHelpArg(args[0]) {
		msg := fmt.Sprintf("unknown command %q", args[0])
		fmt.Fprintf(c.stderr, "shark: %s\n%s", msg, root.UsageString())
		return 2
	}
	cmd, err := root.ExecuteContextC(ctx)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)), strings.HasPrefix(err.Error(), "required flag"):
		fmt.Fprintf(c.stderr, "shark %s: %v\n%s", cmd.Name(), err, cmd.UsageString())
		return 2
	default:
		fmt.Fprintln(c.stderr, "shark:", err)
		return 1
	}
}

func isHelpArg(a string) bool { return a == "-h" || a == "--help" || a == "help" }

// newRoot builds the command tree.
func newRoot(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "shark",
		Short: "SharkAuth: OAuth 2.1 for AI agents",
		Long: `shark runs the local SharkAuth stack (shark serve) and drives a running
stack through its admin API (/api/v1, admin key) and platform API
(/platform/v1, platform key).

The URL and keys come from flags, the environment (SHARK_URL,
SHARK_ADMIN_KEY, SHARK_PLATFORM_KEY) or, for a local stack, the first-boot
files of its data directory (--data, env DATA, default ./.data).`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	c.addFlags(root)
	root.AddGroup(&cobra.Group{ID: "stack", Title: "Stack commands:"}, &cobra.Group{ID: "api", Title: "API commands:"})
	for _, cmd := range []*cobra.Command{
		flagCommand("serve", "Run the local stack (every function on one address)", serve),
		flagCommand("bootstrap", "Create a platform key (and a root tenant) on a deployed stack", bootstrap),
		flagCommand("load", "A bounded load test of a token endpoint on loopback (make bench)", load),
		flagCommand("recover-key", "Mint a new admin (or platform) key from the local data dir when the first-boot key was lost (stop shark serve first)", recoverKey),
	} {
		cmd.GroupID = "stack"
		root.AddCommand(cmd)
	}
	for _, cmd := range []*cobra.Command{
		c.appCommand(), c.agentCommand(), c.userCommand(), c.keyCommand(), c.signingKeyCommand(),
		c.tenantCommand(), c.auditCommand(), c.tokenCommand(), c.resourceServerCommand(),
	} {
		cmd.GroupID = "api"
		root.AddCommand(cmd)
	}
	return root
}

// flagCommand wraps a command that parses its own flags with the standard
// flag package (serve, bootstrap, load, recover-key keep their single-dash
// flags and behaviour): cobra passes the arguments through untouched, and
// `shark help <name>` prints the command's own flag usage.
func flagCommand(name, short string, fn func(context.Context, []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:                name + " [flags]",
		Short:              short,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fn(cmd.Context(), args)
		},
	}
	cmd.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		fmt.Fprintf(cmd.OutOrStdout(), "%s\n\n", short)
		fn(context.Background(), []string{"-h"})
	})
	return cmd
}

// exactArgs is cobra.ExactArgs with a usage error and names for the
// arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > len(names) {
			return usageError{fmt.Errorf("unexpected argument %q", args[len(names)])}
		}
		if len(args) < len(names) {
			return usageError{fmt.Errorf("missing argument: %s", strings.Join(names[len(args):], " "))}
		}
		return nil
	}
}

var noArgs = exactArgs()
