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
	c := &cli{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stdin: os.Stdin}
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		c.terminal = true
	}
	code := run(ctx, os.Args[1:], c)
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
	args = legacyDashes(args)
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
	case err == errSilent:
		return 1
	case errors.As(err, new(confirmError)):
		c.printError(err)
		return 2
	case errors.As(err, new(usageError)), strings.HasPrefix(err.Error(), "required flag"):
		if c.asJSON {
			c.printError(usageError{fmt.Errorf("%s: %w", cmd.CommandPath(), err)})
			return 2
		}
		fmt.Fprintf(c.stderr, "%s: %v\n%s", cmd.CommandPath(), err, cmd.UsageString())
		return 2
	default:
		c.printError(err)
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
		describe(serveCommand(), "serve", "Run the local stack (every function on one address)", serveLong),
		describe(bootstrapCommand(), "bootstrap", "Create a platform key (and a root tenant) on a deployed stack", bootstrapLong),
		describe(loadCommand(), "load", "A bounded load test of a token endpoint on loopback (make bench)", loadLong),
		describe(recoverKeyCommand(), "recover-key", "Mint a new admin (or platform) key from the local data dir when the first-boot key was lost (stop shark serve first)", recoverLong),
	} {
		cmd.GroupID = "stack"
		root.AddCommand(cmd)
	}
	root.AddCommand(c.versionCommand())
	for _, cmd := range []*cobra.Command{
		c.appCommand(), c.agentCommand(), c.userCommand(), c.keyCommand(), c.signingKeyCommand(),
		c.tenantCommand(), c.auditCommand(), c.tokenCommand(), c.debugCommand(), c.whoamiCommand(), c.healthCommand(), c.resourceServerCommand(),
	} {
		cmd.GroupID = "api"
		root.AddCommand(cmd)
	}
	return root
}

// flagSetCommand makes a cobra command of a command whose flags are
// declared on a standard flag.FlagSet (serve, bootstrap, load, recover-key):
// cobra parses them (pflag reads the same flag.Values), so help, usage
// errors and the error path are those of every other command. The
// single-dash spelling these commands always accepted (-addr) still works:
// run rewrites it (legacyDashes).
func flagSetCommand(fs *flag.FlagSet, fn func(ctx context.Context) error) *cobra.Command {
	cmd := &cobra.Command{Args: noArgs, RunE: func(cmd *cobra.Command, _ []string) error { return fn(cmd.Context()) }}
	cmd.Flags().AddGoFlagSet(fs)
	return cmd
}

// describe names a flag-set command and gives it its help text.
func describe(cmd *cobra.Command, name, short, long string) *cobra.Command {
	cmd.Use = name + " [flags]"
	cmd.Short = short
	cmd.Long = short + ".\n\n" + long
	return cmd
}

// legacyCommands take single-dash long flags (-addr), as their standard
// flag parser did.
var legacyCommands = map[string]bool{"serve": true, "bootstrap": true, "load": true, "recover-key": true}

// legacyDashes rewrites -name and -name=value to --name for the commands
// that took single-dash long flags; one-letter flags (load's -c, -d, -n)
// are shorthands already.
func legacyDashes(args []string) []string {
	if len(args) == 0 || !legacyCommands[args[0]] {
		return args
	}
	out := append([]string{}, args...)
	for i, a := range out[1:] {
		if a == "--" {
			break
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			out[i+1] = "-" + a
		}
	}
	return out
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
