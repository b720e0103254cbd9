// Command shark is SharkAuth's command line: `shark serve` runs the local stack
// (every function on one address, as API Gateway would serve them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: shark <command> [flags]

commands:
  serve      run the local stack (shark serve -h for its flags)
  bootstrap  create a platform key (and a root tenant) on a deployed stack
  load       a bounded load test of a token endpoint on loopback (make bench)
  recover-key  mint a new admin (or platform) key from the local data dir
               when the first-boot key was lost (stop shark serve first)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	// SIGINT and SIGTERM end a command gracefully (serve drains its server).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2:])
	case "bootstrap":
		err = bootstrap(ctx, os.Args[2:])
	case "load":
		err = load(ctx, os.Args[2:])
	case "recover-key":
		err = recoverKey(ctx, os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "shark: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // -h: the usage was printed
	}
	if err != nil {
		stop()
		fmt.Fprintln(os.Stderr, "shark:", err)
		os.Exit(1)
	}
}
