package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/domain"
)

const adminUsage = `Usage:
  nmdc-runtime admin reset-password USERNAME [--enable] [--database PATH]
  nmdc-runtime admin create-admin USERNAME [--database PATH]

Offline commands that work on the database directly, for an operator whose
runtime admin is locked out. The password is asked for, or read from the
first line of stdin. A running server sees the change within its
--auth-cache-ttl (one second by default).
`

// runAdmin runs "nmdc-runtime admin ...".
func runAdmin(ctx context.Context, args []string, getenv env, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return &usageError{msg: "admin: no command given"}
	}
	c := &cli{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr, secrets: newSecretReader(stdin, stderr)}
	switch args[0] {
	case "reset-password":
		return adminResetPassword(c, args[1:])
	case "create-admin":
		return adminCreateAdmin(c, args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(stdout, adminUsage)
		return nil
	}
	fmt.Fprint(stderr, adminUsage)
	return &usageError{msg: fmt.Sprintf("admin: unknown command %q", args[0])}
}

// adminFlags are the flags of the offline commands: the database, named
// and defaulted as for "serve".
type adminFlags struct {
	database   string
	bcryptCost string
}

func (c *cli) adminFlagSet(name, help string, a *adminFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: nmdc-runtime %s USERNAME [flags]\n\n%s\n\nFlags:\n", name, help)
		fs.PrintDefaults()
	}
	fs.StringVar(&a.database, "database", envOr(c.getenv, "NMDC_RUNTIME_DATABASE", defaultDatabasePath(c.getenv)), "SQLite file path, or a postgres:// URL (env NMDC_RUNTIME_DATABASE)")
	fs.StringVar(&a.bcryptCost, "bcrypt-cost", envOr(c.getenv, "NMDC_RUNTIME_BCRYPT_COST", strconv.Itoa(auth.DefaultBcryptCost)), "bcrypt cost for the new password, 4-31 (env NMDC_RUNTIME_BCRYPT_COST)")
	return fs
}

// openService opens an existing database; it never creates one, since a
// typo in --database would otherwise reset a password in a new, empty file.
func (a adminFlags) openService(ctx context.Context) (*domain.Service, func() error, error) {
	cost, err := strconv.Atoi(a.bcryptCost)
	if err != nil || cost < 4 || cost > 31 {
		return nil, nil, &usageError{msg: fmt.Sprintf("bcrypt cost %q: must be an integer from 4 to 31", a.bcryptCost)}
	}
	if !isPostgresURL(a.database) {
		fi, err := os.Stat(a.database)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("no database at %s: pass --database (or NMDC_RUNTIME_DATABASE) as given to \"serve\"", a.database)
		}
		// An empty file is no database either (a truncated copy, a touch):
		// SQLite would set up a fresh one in it.
		if err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
			return nil, nil, fmt.Errorf("%s is an empty file, not a database: pass --database (or NMDC_RUNTIME_DATABASE) as given to \"serve\"", a.database)
		}
	}
	store, err := openStore(ctx, serveConfig{Database: a.database})
	if err != nil {
		return nil, nil, fmt.Errorf("open database: %w", err)
	}
	return &domain.Service{Store: store, BcryptCost: cost}, store.Close, nil
}

func adminResetPassword(c *cli, args []string) error {
	var a adminFlags
	fs := c.adminFlagSet("admin reset-password", "Set a user's password. Tokens issued before the reset stop working.", &a)
	enable := fs.Bool("enable", false, "also enable the user if it is disabled")
	pos, err := c.parse(fs, args, "USERNAME")
	if err != nil {
		return err
	}
	svc, closeStore, err := a.openService(c.ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	if _, err := svc.Store.GetUser(c.ctx, pos[0]); err != nil {
		return operatorError(err)
	}
	pw, err := c.secrets.readNew("new password for " + pos[0])
	if err != nil {
		return err
	}
	u, err := svc.OperatorResetPassword(c.ctx, pos[0], pw, *enable)
	if err != nil {
		return operatorError(err)
	}
	fmt.Fprintf(c.stdout, "Reset the password of %s; tokens issued before now no longer work.\n", u.Username)
	if u.Disabled {
		fmt.Fprintf(c.stdout, "%s is disabled: run again with --enable to let it log in.\n", u.Username)
	}
	return nil
}

func adminCreateAdmin(c *cli, args []string) error {
	var a adminFlags
	fs := c.adminFlagSet("admin create-admin", "Create a runtime admin: a user who administers site "+domain.AdminSiteID+"\nand holds every allowance.", &a)
	pos, err := c.parse(fs, args, "USERNAME")
	if err != nil {
		return err
	}
	svc, closeStore, err := a.openService(c.ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	if fe := domain.ValidateUsername(pos[0]); fe != nil {
		return &usageError{msg: fe.Msg}
	}
	pw, err := c.secrets.readNew("password for " + pos[0])
	if err != nil {
		return err
	}
	u, err := svc.OperatorCreateAdmin(c.ctx, pos[0], pw)
	if err != nil {
		return operatorError(err)
	}
	fmt.Fprintf(c.stdout, "Created runtime admin %s (an admin of site %s, holding every allowance).\n", u.Username, domain.AdminSiteID)
	return nil
}

// operatorError words a domain error for the operator.
func operatorError(err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	switch {
	case de.Kind == domain.NotFound:
		return fmt.Errorf("%s (is --database the server's database?)", de.Message)
	case de.Kind == domain.Invalid && len(de.Fields) > 0:
		msgs := make([]string, len(de.Fields))
		for i, f := range de.Fields {
			msgs[i] = f.Msg
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return errors.New(de.Message)
}
