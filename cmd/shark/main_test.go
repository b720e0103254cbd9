package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets a test run the real main in a subprocess: the exit code and
// output are what a user sees. With SHARK_CEILING_ADDR set it serves the
// ceiling instead (serveCeiling, for infra/loadbench.sh).
func TestMain(m *testing.M) {
	if addr := os.Getenv("SHARK_CEILING_ADDR"); addr != "" {
		if err := serveCeiling(addr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if args := os.Getenv("SHARK_TEST_ARGS"); args != "" {
		os.Args = append([]string{"shark"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runShark(t *testing.T, args string) (int, string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SHARK_TEST_ARGS="+args, "DATA="+t.TempDir(), "ADDR=127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestCommandLine(t *testing.T) {
	cases := []struct {
		args string
		code int
		says string
	}{
		{"serve -h", 0, "-addr"},
		{"serve --help", 0, "-public-url"},
		{"bootstrap -h", 0, "-root-tenant"},
		{"recover-key -h", 0, "-tenant"},
		{"help", 0, "commands:"},
		{"serve extra", 2, `shark serve: unexpected argument "extra"`},
		{"serve -addr 127.0.0.1:0 stray", 2, `unexpected argument "stray"`},
		{"serve -nope", 2, "shark serve: unknown flag: --nope"},
		{"serve --help", 0, "LOG_LEVEL"},
		{"bootstrap --help", 0, "kms:GenerateDataKey"},
		{"load -c 0 -d 1s -client-id x -client-secret y", 1, "-c must be 1 to"},
		{"agent create --name", 2, "shark agent create: flag needs an argument"},
		{"recover-key -tenant Bad_Id", 1, "--tenant"},
		{"frobnicate", 2, "unknown command"},
		{"help serve", 0, "-public-url"},
		{"load -h", 0, "-client-id"},
		{"agent -h", 0, "revoke-tokens"},
		{"audit tail --help", 0, "--interval"},
		{"agent list stray", 2, `unexpected argument "stray"`},
		{"agent frobnicate", 2, `unknown command "frobnicate"`},
		{"serve -h", 0, "-engine"},
		{"serve -addr 127.0.0.1:0 -engine leveldb", 1, "bbolt or pebble"},
		{"serve -addr 127.0.0.1:0 -store dynamodb -engine bbolt", 1, "does not apply to --store dynamodb"},
	}
	for _, c := range cases {
		t.Run(c.args, func(t *testing.T) {
			code, out := runShark(t, c.args)
			if code != c.code || !strings.Contains(out, c.says) {
				t.Fatalf("exit %d (want %d), output:\n%s", code, c.code, out)
			}
		})
	}
}
