package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/nmdc-runtime/server/client"
)

// defaultURL is the server the client commands talk to without --url or
// NMDC_RUNTIME_URL: the default address of "serve".
const defaultURL = "http://127.0.0.1:8000"

// cli is what every client command shares: the global options, the
// streams, and the reader of secrets.
type cli struct {
	ctx     context.Context
	getenv  env
	stdout  io.Writer
	stderr  io.Writer
	secrets *secretReader

	url  string
	json bool
}

// clientCommands are the commands that talk to a server through client/,
// by their words on the command line.
var clientCommands = map[string]func(*cli, []string) error{
	"login":                  cmdLogin,
	"logout":                 cmdLogout,
	"whoami":                 cmdWhoami,
	"token":                  cmdToken,
	"users create":           cmdUsersCreate,
	"users list":             cmdUsersList,
	"users show":             cmdUsersShow,
	"users update":           cmdUsersUpdate,
	"users disable":          cmdUsersDisable,
	"users enable":           cmdUsersEnable,
	"users reset-password":   cmdUsersResetPassword,
	"password":               cmdPassword,
	"sites create":           cmdSitesCreate,
	"sites list":             cmdSitesList,
	"sites show":             cmdSitesShow,
	"sites admins list":      cmdSiteAdminsList,
	"sites admins add":       cmdSiteAdminsAdd,
	"sites admins remove":    cmdSiteAdminsRemove,
	"sites clients generate": cmdSiteClientsGenerate,
	"sites clients list":     cmdSiteClientsList,
	"sites clients rotate":   cmdSiteClientsRotate,
	"sites clients delete":   cmdSiteClientsDelete,
	"share open":             cmdShareOpen,
}

// findCommand returns the longest run of leading words of args that names
// a client command, or for a group name alone (such as "sites clients")
// the group's name so that its commands can be listed.
func findCommand(args []string) (name string, rest []string, group string) {
	for n := min(3, len(args)); n >= 1; n-- {
		words := strings.Join(args[:n], " ")
		if _, ok := clientCommands[words]; ok {
			return words, args[n:], ""
		}
	}
	for n := min(2, len(args)); n >= 1; n-- {
		words := strings.Join(args[:n], " ")
		for name := range clientCommands {
			if strings.HasPrefix(name, words+" ") {
				return "", args[n:], words
			}
		}
	}
	return "", args, ""
}

// groupUsage lists the commands of a group, for "nmdc-runtime sites" alone
// or with an unknown subcommand.
func groupUsage(group string) string {
	var names []string
	for name := range clientCommands {
		if strings.HasPrefix(name, group+" ") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return "Commands of \"nmdc-runtime " + group + "\":\n  nmdc-runtime " + strings.Join(names, "\n  nmdc-runtime ") + "\n"
}

// runClient runs a client command; globals holds --url and --json when
// they came before the command.
func runClient(ctx context.Context, name string, args []string, globals cli) error {
	c := globals
	c.ctx = ctx
	err := clientCommands[name](&c, args)
	if base, uerr := c.serverURL(); uerr == nil {
		err = connError(base, err)
	}
	return err
}

// connError words a failure to reach the server, or a reply that is not
// the API's, briefly: the Go error chain names dial internals.
func connError(base string, err error) error {
	var ue *url.Error
	if err == nil || !errors.As(err, &ue) {
		return err
	}
	if ue.Timeout() {
		return fmt.Errorf("cannot reach the server at %s (--url): timed out", base)
	}
	cause := ue.Err
	var op *net.OpError
	if errors.As(cause, &op) {
		cause = op.Err
		var sc *os.SyscallError
		if errors.As(cause, &sc) {
			cause = sc.Err
		}
	}
	var dns *net.DNSError
	if errors.As(ue.Err, &dns) {
		cause = fmt.Errorf("host %s: %s", dns.Name, dns.Err)
	}
	return fmt.Errorf("cannot reach the server at %s (--url): %v", base, cause)
}

// flags returns the flag set of a command, with the global --url and
// --json (so they may also come after the command).
func (c *cli) flags(name, argsUsage, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: nmdc-runtime %s %s\n\n%s\n\nFlags:\n", name, argsUsage, help)
		fs.PrintDefaults()
	}
	addGlobalFlags(fs, c)
	return fs
}

// addGlobalFlags registers --url and --json on fs, defaulting to what c
// holds.
func addGlobalFlags(fs *flag.FlagSet, c *cli) {
	fs.StringVar(&c.url, "url", c.url, "server URL (env NMDC_RUNTIME_URL)")
	fs.BoolVar(&c.json, "json", c.json, "print JSON for scripts instead of tables")
}

// parse parses flags placed anywhere among args and returns the positional
// arguments, which must be as many as names. After "--" everything is
// positional.
func (c *cli) parse(fs *flag.FlagSet, args []string, names ...string) ([]string, error) {
	return c.parseAtLeast(fs, args, len(names), names...)
}

// parseAtLeast is parse where only the first required of names must be
// given.
func (c *cli) parseAtLeast(fs *flag.FlagSet, args []string, required int, names ...string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			// The flag package has printed the error and the usage.
			return nil, &usageError{msg: err.Error(), printed: true}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) < required || len(pos) > len(names) {
		fs.Usage()
		if len(pos) < required {
			return nil, &usageError{msg: fmt.Sprintf("%s: missing %s", fs.Name(), strings.Join(names[len(pos):], " "))}
		}
		return nil, &usageError{msg: fmt.Sprintf("%s: unexpected argument %q", fs.Name(), pos[len(names)])}
	}
	return pos, nil
}

// serverURL checks and normalizes --url.
func (c *cli) serverURL() (string, error) {
	u, err := url.Parse(strings.TrimSpace(c.url))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", &usageError{msg: fmt.Sprintf("--url %q: want the server's http or https URL, such as %s", c.url, defaultURL)}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// anonymous returns a client without a token.
func (c *cli) anonymous() (*client.Client, error) {
	base, err := c.serverURL()
	if err != nil {
		return nil, err
	}
	return client.New(base), nil
}

// authed returns a client carrying the token saved by "login" for the
// server.
func (c *cli) authed() (*client.Client, error) {
	cl, err := c.anonymous()
	if err != nil {
		return nil, err
	}
	st, err := c.tokens()
	if err != nil {
		return nil, err
	}
	saved, err := st.load(cl.BaseURL)
	if err != nil {
		return nil, err
	}
	cl.Token = saved.AccessToken
	return cl, nil
}

// apiError adds a hint to an error of the server where one helps.
func apiError(err error) error {
	var e *client.Error
	if errors.As(err, &e) && e.Status == 401 && e.Code == "" {
		return fmt.Errorf("%w\n(log in again: nmdc-runtime login USERNAME, or --client-id CLIENT_ID)", err)
	}
	return err
}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// table writes rows under a header, in aligned columns.
func (c *cli) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, s := range r {
			cells[i] = cell(s)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// fields writes name/value pairs, one per line, aligned.
func (c *cli) fields(pairs ...[2]string) error {
	tw := tabwriter.NewWriter(c.stdout, 0, 8, 2, ' ', 0)
	for _, p := range pairs {
		fmt.Fprintf(tw, "%s:\t%s\n", p[0], cell(p[1]))
	}
	return tw.Flush()
}

// cell shows an empty value as "-" and keeps a value on one line: a
// newline or tab from the server must not break the table.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// listFlag is a flag that may be repeated or given a comma-separated list.
type listFlag struct {
	vals *[]string
	set  bool
}

func (l *listFlag) String() string {
	if l == nil || l.vals == nil {
		return ""
	}
	return strings.Join(*l.vals, ",")
}

func (l *listFlag) Set(s string) error {
	if !l.set {
		*l.vals = []string{} // the first use replaces the default; "" clears
		l.set = true
	}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l.vals = append(*l.vals, v)
		}
	}
	return nil
}

func newListFlag(fs *flag.FlagSet, name, usage string) *listFlag {
	l := &listFlag{vals: new([]string)}
	fs.Var(l, name, usage)
	return l
}
