// Command shark is SharkAuth's command line: `shark serve` runs the local stack
// (every function on one address, as API Gateway would serve them).
package main

import (
	"fmt"
	"os"
)

const usage = `usage: shark <command> [flags]

commands:
  serve      run the local stack (shark serve -h for its flags)
  bootstrap  create a platform key (and a root tenant) on a deployed stack
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "bootstrap":
		err = bootstrap(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "shark: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "shark:", err)
		os.Exit(1)
	}
}
