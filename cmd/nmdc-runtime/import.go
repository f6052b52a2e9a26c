package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/mongoexport"
	"github.com/nmdc-runtime/server/postgres"
	"github.com/nmdc-runtime/server/sqlite"
)

// importConfig is the configuration of "import".
type importConfig struct {
	Database   string
	Users      string
	Sites      string
	Allowances string
	DryRun     bool
}

func loadImportConfig(args []string, getenv env, stderr io.Writer) (importConfig, error) {
	var c importConfig
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.StringVar(&c.Database, "database", envOr(getenv, "NMDC_RUNTIME_DATABASE", defaultDatabasePath(getenv)), "SQLite file path, or a postgres:// URL (env NMDC_RUNTIME_DATABASE)")
	fs.StringVar(&c.Users, "users", "", "mongoexport output of the users collection")
	fs.StringVar(&c.Sites, "sites", "", "mongoexport output of the sites collection (with their clients)")
	fs.StringVar(&c.Allowances, "allowances", "", "mongoexport output of the allowances collection")
	fs.BoolVar(&c.DryRun, "dry-run", false, "report what would change and write nothing: no database is created, no schema migrated")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: nmdc-runtime import [--database DB] [--users FILE] [--sites FILE] [--allowances FILE] [--dry-run]

Imports the accounts of an existing deployment from mongoexport files (one
document per line, or a --jsonArray file). All or nothing: any invalid
document or any conflict with stored data aborts the import and writes
nothing. Running it again changes nothing. Each committed import is recorded
in the audit log (actor offline:import) with its counts.

`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return c, err
	}
	if c.Users == "" && c.Sites == "" && c.Allowances == "" {
		return c, &usageError{msg: "import needs at least one of --users, --sites, --allowances"}
	}
	if c.Database == "" {
		return c, &usageError{msg: "database must not be empty"}
	}
	return c, nil
}

func runImport(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	cfg, err := loadImportConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	var batch domain.ImportBatch
	for _, f := range []struct {
		path string
		read func(string, io.Reader, *domain.ImportBatch) error
	}{
		{cfg.Users, mongoexport.ReadUsers},
		{cfg.Sites, mongoexport.ReadSites},
		{cfg.Allowances, mongoexport.ReadAllowances},
	} {
		if f.path == "" {
			continue
		}
		if err := readExportFile(f.path, f.read, &batch); err != nil {
			return fmt.Errorf("nothing was imported: %w", err)
		}
	}
	// Refuse an invalid export before the database is opened (or created).
	if err := domain.ValidateImport(batch); err != nil {
		return err
	}
	if cfg.DryRun {
		return dryRunImport(ctx, cfg, batch, stdout)
	}
	// A new SQLite file that the import would leave empty is removed.
	fresh := false
	if !isPostgresURL(cfg.Database) {
		_, err := os.Stat(cfg.Database)
		fresh = errors.Is(err, fs.ErrNotExist)
	}
	store, err := openStore(ctx, serveConfig{Database: cfg.Database})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	svc := &domain.Service{Store: store}
	report, err := svc.Import(ctx, batch, false)
	store.Close()
	if err != nil && fresh {
		removeSQLite(cfg.Database)
	}
	if err == nil || domain.IsKind(err, domain.Conflict) {
		writeImportReport(stdout, report)
	}
	return err
}

// dryRunImport reports what an import would do without creating the
// database or migrating its schema: a database that does not exist or has
// no schema counts as empty; one whose schema is behind is refused.
func dryRunImport(ctx context.Context, cfg importConfig, batch domain.ImportBatch, stdout io.Writer) error {
	var store domain.Store
	var err error
	if isPostgresURL(cfg.Database) {
		store, err = postgres.OpenExisting(ctx, cfg.Database, postgres.Options{})
	} else {
		store, err = sqlite.OpenExisting(ctx, cfg.Database)
	}
	var report domain.ImportReport
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, sqlite.ErrNoSchema), errors.Is(err, postgres.ErrNoSchema):
		fmt.Fprintf(stdout, "The database %s holds nothing yet (it is neither created nor changed by a dry run).\n", databaseName(cfg.Database))
		report, err = domain.DryRunOnEmpty(batch)
	case errors.Is(err, sqlite.ErrSchemaBehind), errors.Is(err, postgres.ErrSchemaBehind):
		return fmt.Errorf("open database: %w; a dry run does not migrate it: run the import without --dry-run, or start \"serve\" once, to bring it up to date", err)
	case err != nil:
		return fmt.Errorf("open database: %w", err)
	default:
		defer store.Close()
		report, err = (&domain.Service{Store: store}).Import(ctx, batch, true)
	}
	if err == nil || domain.IsKind(err, domain.Conflict) {
		writeImportReport(stdout, report)
	}
	return err
}

// databaseName names a database for messages, without a URL's password.
func databaseName(db string) string {
	if isPostgresURL(db) {
		if u, err := url.Parse(db); err == nil {
			return u.Redacted()
		}
		return "(the PostgreSQL database)"
	}
	return db
}

// removeSQLite removes a SQLite database file and its companions.
func removeSQLite(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
}

func readExportFile(path string, read func(string, io.Reader, *domain.ImportBatch) error, b *domain.ImportBatch) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return read(path, f, b)
}

// writeImportReport prints the summary of an import: counts per kind,
// unknown fields, conflicts and notes.
func writeImportReport(w io.Writer, r domain.ImportReport) {
	switch {
	case r.Written:
		fmt.Fprintln(w, "Import complete.")
	case r.DryRun && len(r.Conflicts) == 0:
		fmt.Fprintln(w, "Dry run: nothing was written. This is what the import would do:")
	case len(r.Conflicts) > 0:
		fmt.Fprintln(w, "Import aborted because of conflicts: nothing was written.")
	default:
		fmt.Fprintln(w, "Nothing was written.")
	}
	imported := "imported"
	if !r.Written {
		imported = "to import"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\t%s\tunchanged\tconflicting\n", imported)
	for _, row := range []struct {
		name string
		c    domain.ImportCounts
	}{{"users", r.Users}, {"sites", r.Sites}, {"clients", r.Clients}, {"allowances", r.Allowances}} {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", row.name, row.c.Imported, row.c.Unchanged, row.c.Conflicting)
	}
	tw.Flush()
	total := 0
	var names []string
	for name, n := range r.UnknownFields {
		total += n
		names = append(names, fmt.Sprintf("%s (%d)", name, n))
	}
	sort.Strings(names)
	if total == 0 {
		fmt.Fprintln(w, "Unknown fields ignored: 0")
	} else {
		fmt.Fprintf(w, "Unknown fields ignored: %d: %s\n", total, strings.Join(names, ", "))
	}
	if len(r.Conflicts) > 0 {
		fmt.Fprintf(w, "Conflicts (%d):\n", len(r.Conflicts))
		for _, c := range r.Conflicts {
			fmt.Fprintln(w, "  "+c.String())
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(w, "Notes (%d):\n", len(r.Notes))
		for _, n := range r.Notes {
			fmt.Fprintln(w, "  "+n)
		}
	}
}
