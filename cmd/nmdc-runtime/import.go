package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/mongoexport"
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
	fs.BoolVar(&c.DryRun, "dry-run", false, "report what would change and write nothing")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: nmdc-runtime import [--database DB] [--users FILE] [--sites FILE] [--allowances FILE] [--dry-run]

Imports the accounts of an existing deployment from mongoexport files (one
document per line, or a --jsonArray file). All or nothing: any invalid
document or any conflict with stored data aborts the import and writes
nothing. Running it again changes nothing.

`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return c, err
	}
	if c.Users == "" && c.Sites == "" && c.Allowances == "" {
		return c, &usageError{"import needs at least one of --users, --sites, --allowances"}
	}
	if c.Database == "" {
		return c, &usageError{"database must not be empty"}
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
	store, err := openStore(ctx, serveConfig{Database: cfg.Database})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer store.Close()
	svc := &domain.Service{Store: store}
	report, err := svc.Import(ctx, batch, cfg.DryRun)
	if err == nil || domain.IsKind(err, domain.Conflict) {
		writeImportReport(stdout, report)
	}
	return err
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
