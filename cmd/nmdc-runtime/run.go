package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// env reads configuration from the environment; tests pass their own.
type env func(string) string

const usage = `nmdc-runtime: the Runtime API server and its command-line client.

Usage:
  nmdc-runtime serve [flags]                        run the API server
  nmdc-runtime import [flags]                       import the accounts of an existing deployment
                                                    (mongoexport files; see "import -h")
  nmdc-runtime version                              print the version

Client commands (they talk to the server at --url):
  nmdc-runtime login USERNAME                       log in as a user; the password is asked for
  nmdc-runtime login --client-id CLIENT_ID          log in as a site client; the secret is asked for
  nmdc-runtime logout [--force]                     revoke and forget the saved token (kept when
                                                    the server cannot be reached, unless --force)
  nmdc-runtime whoami                               show who is logged in
  nmdc-runtime token                                print the bearer token, e.g. for curl
  nmdc-runtime password                             change your own password
  nmdc-runtime users create USERNAME [flags]        create a user; prints a one-time link to its password
  nmdc-runtime users list                           list users
  nmdc-runtime users show USERNAME                  show a user
  nmdc-runtime users update USERNAME [flags]        change email, full name, sites or password
  nmdc-runtime users disable|enable USERNAME        disable or re-enable a user
  nmdc-runtime users reset-password USERNAME        new generated password, shown by a one-time link
  nmdc-runtime sites create SITE_ID                 create a site; you become its admin
  nmdc-runtime sites list                           list sites
  nmdc-runtime sites show SITE_ID                   show a site
  nmdc-runtime sites admins list SITE_ID            list a site's admins
  nmdc-runtime sites admins add|remove SITE_ID USERNAME
  nmdc-runtime sites clients generate SITE_ID       new site client credentials (secret shown once;
                                                    --link: a one-time link to it instead)
  nmdc-runtime sites clients list SITE_ID           list a site's clients
  nmdc-runtime sites clients rotate SITE_ID CLIENT_ID
  nmdc-runtime sites clients delete SITE_ID CLIENT_ID
  nmdc-runtime share open [LINK | -]                open a one-time link and print its secret
                                                    (without LINK or with -: read from stdin)

Offline commands (they work on the database directly, for a locked-out admin):
  nmdc-runtime admin reset-password USERNAME [--database PATH]
  nmdc-runtime admin create-admin USERNAME [--database PATH]

Global flags of the client commands, before or after the command:
  --url URL   the server (env NMDC_RUNTIME_URL; default ` + defaultURL + `)
  --json      print JSON for scripts instead of tables

Passwords and secrets are never taken from the command line: they are asked
for without echo, or read one per line from stdin when it is not a terminal.
Tokens are kept per server in a file only you can read, under your config
directory (such as ~/.config/nmdc-runtime/).

Run "nmdc-runtime COMMAND -h" for a command's flags.
`

// usageError is a mistake on the command line: exit code 2.
type usageError struct {
	msg string
	// printed is set when the flag package already printed msg.
	printed bool
}

func (e *usageError) Error() string { return e.msg }

// errHelp ends a command whose flags' help was printed: exit 0.
var errHelp = errors.New("help printed")

func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// run does the work of main so that tests can call it.
func run(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &usageError{msg: "no command given"}
	}
	switch args[0] {
	case "version", "--version":
		fmt.Fprintln(stdout, buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	globals := cli{getenv: getenv, stdout: stdout, stderr: stderr, secrets: newSecretReader(stdin, stderr), url: envOr(getenv, "NMDC_RUNTIME_URL", defaultURL)}
	if strings.HasPrefix(args[0], "-") {
		fs := flag.NewFlagSet("nmdc-runtime", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.Usage = func() { fmt.Fprint(stderr, usage) }
		addGlobalFlags(fs, &globals)
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return errHelp
			}
			return &usageError{msg: err.Error(), printed: true}
		}
		if args = fs.Args(); len(args) == 0 {
			fmt.Fprint(stderr, usage)
			return &usageError{msg: "no command given"}
		}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "import":
		return runImport(ctx, rest, getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, getenv, stdin, stdout, stderr)
	}
	name, rest, group := findCommand(args)
	if name != "" {
		return runClient(ctx, name, rest, globals)
	}
	if group != "" {
		if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "help") {
			fmt.Fprint(stdout, groupUsage(group))
			return nil
		}
		fmt.Fprint(stderr, groupUsage(group))
		if len(rest) == 0 {
			return &usageError{msg: fmt.Sprintf("%s: no command given", group)}
		}
		return &usageError{msg: fmt.Sprintf("%s: unknown command %q", group, rest[0])}
	}
	fmt.Fprint(stderr, usage)
	return &usageError{msg: fmt.Sprintf("unknown command %q", cmd)}
}

// parseFlags parses a subcommand's flags; -h prints its usage.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return &usageError{msg: err.Error(), printed: true}
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}
