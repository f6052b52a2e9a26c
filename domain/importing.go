package domain

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/nmdc-runtime/server/auth"
)

// Importing an existing deployment's accounts.
//
// A reader (package mongoexport) turns export files into an ImportBatch,
// each item remembering the file and line it came from. ValidateImport
// checks every document against the rules below; Store.Import loads the
// rows the batch touches, asks PlanImport what to do with each item, and
// applies the plan in one transaction. The conflict policy lives here, once
// for every backend: any conflict aborts the whole import, which then writes
// nothing and returns a report listing every conflict. Conflicts are never
// overwritten and never skipped silently; the operator resolves them (in
// the export or in the database) and runs the import again.

// Source names the file and line an imported document came from.
type Source struct {
	File string
	Line int
}

func (s Source) String() string {
	if s.File == "" {
		return fmt.Sprintf("line %d", s.Line)
	}
	return fmt.Sprintf("%s line %d", s.File, s.Line)
}

// relativeTo names s briefly when it is in the same file as from.
func (s Source) relativeTo(from Source) string {
	if s.File == from.File {
		return fmt.Sprintf("line %d", s.Line)
	}
	return s.String()
}

// ImportUser is a user to import, with its stored password hash as is.
type ImportUser struct {
	User
	Source Source
}

// ImportSite is a site to import.
type ImportSite struct {
	Site
	Source Source
}

// ImportClient is a site client to import; SiteID is the site whose
// document listed it, SecretHash the stored hash as is.
type ImportClient struct {
	SiteClient
	Source Source
}

// ImportAllowance is an allowance to import.
type ImportAllowance struct {
	Allowance
	Source Source
}

// ImportBatch is everything one import writes.
type ImportBatch struct {
	Users      []ImportUser
	Sites      []ImportSite
	Clients    []ImportClient
	Allowances []ImportAllowance
	// UnknownFields counts fields the reader ignored, by "collection.field".
	UnknownFields map[string]int
}

// ImportCounts says what happened to one kind of item.
type ImportCounts struct {
	// Imported items are new (in a dry run: would be written).
	Imported int
	// Unchanged items are already present with identical contents.
	Unchanged int
	// Conflicting items are present with other contents, look like another
	// user, or cannot be attached; any of them aborts the import.
	Conflicting int
}

// ImportConflict is one item that cannot be imported as it is.
type ImportConflict struct {
	Kind   string // "user", "site", "client", "allowance"
	Key    string
	Source Source
	Reason string
}

func (c ImportConflict) String() string {
	return fmt.Sprintf("%s: %s %q: %s", c.Source, c.Kind, c.Key, c.Reason)
}

// ImportReport summarizes an import or a dry run.
type ImportReport struct {
	DryRun     bool
	Users      ImportCounts
	Sites      ImportCounts
	Clients    ImportCounts
	Allowances ImportCounts
	// UnknownFields is copied from the batch.
	UnknownFields map[string]int
	Conflicts     []ImportConflict
	// Notes are things kept as they are that a person may want to know:
	// site ids outside the rule for new ids, site_admin entries naming
	// sites that do not exist.
	Notes []string
	// Written is true when the import committed.
	Written bool
}

// Err returns a Conflict error when the report lists conflicts: the
// import then wrote nothing.
func (r ImportReport) Err() error {
	if len(r.Conflicts) == 0 {
		return nil
	}
	return Errorf(Conflict, "%d conflicting item(s); nothing was imported: resolve them and run the import again", len(r.Conflicts))
}

// ImportExisting holds the stored rows a batch touches, read by the store
// inside its import transaction.
type ImportExisting struct {
	// Users by exact username: those the batch names (as users or in
	// allowances) that exist.
	Users map[string]User
	// FoldOwners maps the FoldUsername form of each batch username to the
	// stored user who has it, when there is one.
	FoldOwners map[string]string
	// Sites by id: those the batch names (as sites or in site_admin) that
	// exist.
	Sites map[string]Site
	// SiteFoldOwners maps the FoldSiteID form of each batch site id to the
	// stored site that holds it, when there is one.
	SiteFoldOwners map[string]string
	// Clients by id: those the batch names that exist.
	Clients map[string]SiteClient
	// Allowances of the batch that exist.
	Allowances map[Allowance]bool
}

// ImportKeys are the keys a store must look up to build ImportExisting.
type ImportKeys struct {
	Usernames []string // exact usernames
	FoldKeys  []string // FoldUsername forms
	SiteIDs   []string
	// SiteFoldKeys are FoldSiteID forms, looked up as sites.fold_id.
	SiteFoldKeys []string
	ClientIDs    []string
	Allowances   []Allowance
}

// Keys lists what a store must look up for b.
func (b ImportBatch) Keys() ImportKeys {
	var k ImportKeys
	users := map[string]bool{}
	sites := map[string]bool{}
	for _, u := range b.Users {
		users[u.Username] = true
		k.FoldKeys = append(k.FoldKeys, FoldUsername(u.Username))
		if ValidateUsername(u.Username) != nil {
			if r := resemblanceKey(u.Username); r != FoldUsername(u.Username) {
				k.FoldKeys = append(k.FoldKeys, r)
			}
		}
		for _, s := range u.SiteAdmin {
			sites[s] = true
		}
	}
	for _, a := range b.Allowances {
		users[a.Username] = true
		k.Allowances = append(k.Allowances, a.Allowance)
	}
	for _, s := range b.Sites {
		sites[s.ID] = true
		k.SiteFoldKeys = append(k.SiteFoldKeys, FoldSiteID(s.ID))
	}
	for _, c := range b.Clients {
		k.ClientIDs = append(k.ClientIDs, c.ID)
	}
	k.Usernames = sortedKeys(users)
	k.SiteIDs = sortedKeys(sites)
	return k
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ImportPlan is what a store writes for a batch: only new items.
type ImportPlan struct {
	Report     ImportReport
	Users      []User
	Sites      []Site
	Clients    []SiteClient
	Allowances []Allowance
}

// PlanImport decides, for each item of a validated batch, whether it is
// new, unchanged or a conflict, given the stored rows it touches. Stores
// call it inside their import transaction and write the plan only when its
// report has no conflicts.
func PlanImport(b ImportBatch, have ImportExisting, dryRun bool) ImportPlan {
	p := ImportPlan{Report: ImportReport{DryRun: dryRun, UnknownFields: b.UnknownFields}}
	r := &p.Report
	conflict := func(counts *ImportCounts, kind, key string, src Source, format string, args ...any) {
		counts.Conflicting++
		r.Conflicts = append(r.Conflicts, ImportConflict{Kind: kind, Key: key, Source: src, Reason: fmt.Sprintf(format, args...)})
	}

	batchUsers := map[string]bool{}
	batchFolds := map[string]ImportUser{}
	for _, u := range b.Users {
		batchUsers[u.Username] = true
		fold := FoldUsername(u.Username)
		if other, ok := batchFolds[fold]; ok {
			conflict(&r.Users, "user", u.Username, u.Source, "looks like user %q at %s (they differ only in letter case or Unicode form, and look-alike usernames are refused)", other.Username, other.Source.relativeTo(u.Source))
			continue
		}
		batchFolds[fold] = u
		if old, ok := have.Users[u.Username]; ok {
			if diff := userDiff(old, u.User); diff != "" {
				conflict(&r.Users, "user", u.Username, u.Source, "already present with a different %s", diff)
			} else {
				r.Users.Unchanged++
			}
			continue
		}
		if owner, ok := have.FoldOwners[fold]; ok && owner != u.Username {
			conflict(&r.Users, "user", u.Username, u.Source, "looks like the existing user %q (they differ only in letter case or Unicode form, and look-alike usernames are refused)", owner)
			continue
		}
		r.Users.Imported++
		p.Users = append(p.Users, u.User)
	}

	for _, u := range b.Users {
		if fe := ValidateUsername(u.Username); fe != nil {
			like := ""
			key := resemblanceKey(u.Username)
			if owner, ok := have.FoldOwners[key]; ok && owner != u.Username {
				like = fmt.Sprintf(" (it resembles the existing user %q)", owner)
			} else if other, ok := batchFolds[key]; ok && other.Username != u.Username {
				like = fmt.Sprintf(" (it resembles the imported user %q at %s)", other.Username, other.Source.relativeTo(u.Source))
			}
			r.Notes = append(r.Notes, fmt.Sprintf("%s: username %q is kept although new usernames must follow the rule: %s%s", u.Source, u.Username, fe.Msg, like))
		}
	}

	batchSites := map[string]bool{}
	batchSiteFolds := map[string]ImportSite{}
	for _, s := range b.Sites {
		batchSites[s.ID] = true
		if fe := ValidateSiteID("id", s.ID); fe != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: site id %q is kept although new site ids must follow the rule: %s", s.Source, s.ID, fe.Msg))
		}
		fold := FoldSiteID(s.ID)
		if other, ok := batchSiteFolds[fold]; ok {
			conflict(&r.Sites, "site", s.ID, s.Source, "looks like site %q at %s (they differ only in letter case, and look-alike site ids are refused)", other.ID, other.Source.relativeTo(s.Source))
			continue
		}
		batchSiteFolds[fold] = s
		if old, ok := have.Sites[s.ID]; ok {
			if !sameSet(old.CapabilityIDs, s.CapabilityIDs) {
				conflict(&r.Sites, "site", s.ID, s.Source, "already present with different capability_ids (%s stored, %s imported)", quoteList(old.CapabilityIDs), quoteList(s.CapabilityIDs))
			} else {
				r.Sites.Unchanged++
			}
			continue
		}
		if owner, ok := have.SiteFoldOwners[fold]; ok && owner != s.ID {
			conflict(&r.Sites, "site", s.ID, s.Source, "looks like the existing site %q (they differ only in letter case, and look-alike site ids are refused)", owner)
			continue
		}
		r.Sites.Imported++
		p.Sites = append(p.Sites, s.Site)
	}

	for _, c := range b.Clients {
		if old, ok := have.Clients[c.ID]; ok {
			switch {
			case old.SiteID != c.SiteID:
				conflict(&r.Clients, "client", c.ID, c.Source, "already present for site %q, not %q", old.SiteID, c.SiteID)
			case old.SecretHash != c.SecretHash:
				conflict(&r.Clients, "client", c.ID, c.Source, "already present with a different secret hash")
			default:
				r.Clients.Unchanged++
			}
			continue
		}
		r.Clients.Imported++
		p.Clients = append(p.Clients, c.SiteClient)
	}

	for _, a := range b.Allowances {
		if _, ok := have.Users[a.Username]; !ok && !batchUsers[a.Username] {
			conflict(&r.Allowances, "allowance", a.Username+" "+a.Action, a.Source, "names user %q, who is neither in the users file nor in the database (an allowance left for a later user of that name would hand it rights); remove the line or import the user", a.Username)
			continue
		}
		if !slices.Contains(AllActions, a.Action) {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: allowance %q for %q is kept although this server knows no such action (known: %s)", a.Source, a.Action, a.Username, strings.Join(AllActions, ", ")))
		}
		if have.Allowances[a.Allowance] {
			r.Allowances.Unchanged++
			continue
		}
		r.Allowances.Imported++
		p.Allowances = append(p.Allowances, a.Allowance)
	}

	for _, u := range b.Users {
		for _, s := range u.SiteAdmin {
			if _, ok := have.Sites[s]; !ok && !batchSites[s] {
				r.Notes = append(r.Notes, fmt.Sprintf("%s: user %q administers site %q, which does not exist (kept: it may be created later)", u.Source, u.Username, s))
			}
		}
	}
	return p
}

// homoglyphs maps Cyrillic and Greek letters that look like Latin ones to
// those, for naming the account a rule-breaking username resembles.
var homoglyphs = strings.NewReplacer(
	"а", "a", "е", "e", "о", "o", "р", "p", "с", "c", "у", "y", "х", "x", "і", "i", "ј", "j", "ѕ", "s", "ԁ", "d", "һ", "h", "ӏ", "l",
	"А", "A", "В", "B", "Е", "E", "К", "K", "М", "M", "Н", "H", "О", "O", "Р", "P", "С", "C", "Т", "T", "Х", "X", "І", "I", "Ј", "J", "Ѕ", "S",
	"α", "a", "ο", "o", "ρ", "p", "ν", "v", "ι", "i", "κ", "k", "τ", "t", "υ", "u",
	"Α", "A", "Β", "B", "Ε", "E", "Ζ", "Z", "Η", "H", "Ι", "I", "Κ", "K", "Μ", "M", "Ν", "N", "Ο", "O", "Ρ", "P", "Τ", "T", "Υ", "Y", "Χ", "X",
)

// resemblanceKey is the FoldUsername form of a username with invisible
// characters and spaces removed and common homoglyphs made Latin: two
// names with one key look alike to a person.
func resemblanceKey(name string) string {
	name = strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, norm.NFKC.String(name))
	return FoldUsername(homoglyphs.Replace(name))
}

// userDiff names the fields in which two users differ, or "".
func userDiff(old, imp User) string {
	var d []string
	if old.PasswordHash != imp.PasswordHash {
		d = append(d, "password hash")
	}
	if old.Email != imp.Email {
		d = append(d, "email")
	}
	if old.FullName != imp.FullName {
		d = append(d, "full_name")
	}
	if !sameSet(old.SiteAdmin, imp.SiteAdmin) {
		d = append(d, fmt.Sprintf("site_admin (%s stored, %s imported)", quoteList(old.SiteAdmin), quoteList(imp.SiteAdmin)))
	}
	if old.Disabled != imp.Disabled {
		d = append(d, "disabled")
	}
	return strings.Join(d, ", ")
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// maxImportProblems bounds the problems one validation error lists.
const maxImportProblems = 20

// ValidateImport checks every document of a batch: required fields,
// text rules, hashes this server can verify, and no key twice. The error
// (kind Invalid) names the file and line of each problem, and for a
// repeated key both lines.
func ValidateImport(b ImportBatch) error {
	var problems []string
	add := func(src Source, format string, args ...any) {
		problems = append(problems, src.String()+": "+fmt.Sprintf(format, args...))
	}
	field := func(src Source, fe *FieldError) {
		if fe == nil {
			return
		}
		msg := fe.Msg
		if len(fe.Loc) > 1 && !strings.Contains(msg, fe.Loc[1]) {
			msg = fe.Loc[1] + ": " + msg
		}
		add(src, "%s", msg)
	}

	users := map[string]Source{}
	for _, u := range b.Users {
		field(u.Source, validateImportedUsername(u.Username))
		if first, ok := users[u.Username]; ok {
			add(u.Source, "username %q is also at line %d; a username may appear only once", u.Username, first.Line)
		} else {
			users[u.Username] = u.Source
		}
		if !isImportableHash(u.PasswordHash, false) {
			add(u.Source, "hashed_password of user %q is not a bcrypt hash ($2a$, $2b$ or $2y$) that this server can verify", u.Username)
		}
		field(u.Source, ValidateText("email", u.Email))
		field(u.Source, ValidateText("full_name", u.FullName))
		field(u.Source, ValidateIDList("site_admin", u.SiteAdmin))
	}

	sites := map[string]Source{}
	for _, s := range b.Sites {
		if s.ID == "" {
			add(s.Source, "a site needs an id")
		} else {
			field(s.Source, ValidateText("id", s.ID))
		}
		if first, ok := sites[s.ID]; ok {
			add(s.Source, "site id %q is also at line %d; a site id may appear only once", s.ID, first.Line)
		} else {
			sites[s.ID] = s.Source
		}
		field(s.Source, ValidateIDList("capability_ids", s.CapabilityIDs))
	}

	clients := map[string]Source{}
	for _, c := range b.Clients {
		if c.ID == "" {
			add(c.Source, "a client of site %q needs an id", c.SiteID)
		} else {
			field(c.Source, ValidateText("clients.id", c.ID))
		}
		if first, ok := clients[c.ID]; ok {
			add(c.Source, "client id %q is also at line %d; a client id may appear only once", c.ID, first.Line)
		} else {
			clients[c.ID] = c.Source
		}
		if !isImportableHash(c.SecretHash, true) {
			add(c.Source, "hashed_secret of client %q is not a bcrypt hash ($2a$, $2b$ or $2y$) that this server can verify", c.ID)
		}
	}

	allowances := map[Allowance]Source{}
	for _, a := range b.Allowances {
		if a.Username == "" {
			add(a.Source, "an allowance needs a username")
		}
		if a.Action == "" {
			add(a.Source, "an allowance needs an action")
		}
		field(a.Source, ValidateText("username", a.Username))
		field(a.Source, ValidateText("action", a.Action))
		if first, ok := allowances[a.Allowance]; ok {
			add(a.Source, "allowance %q for %q is also at line %d", a.Action, a.Username, first.Line)
		} else {
			allowances[a.Allowance] = a.Source
		}
	}

	if len(problems) == 0 {
		return nil
	}
	msg := strings.Join(problems[:min(len(problems), maxImportProblems)], "\n  ")
	if len(problems) > maxImportProblems {
		msg += fmt.Sprintf("\n  ... and %d more", len(problems)-maxImportProblems)
	}
	return Errorf(Invalid, "the export is invalid; nothing was imported:\n  %s", msg)
}

// validateImportedUsername checks what every stored username must be:
// present, UTF-8, bounded, without control characters. The stricter rules
// for new usernames (no outer or invisible spaces, no mixed scripts) do not
// refuse an account that already exists: PlanImport keeps it and notes it.
func validateImportedUsername(name string) *FieldError {
	switch {
	case name == "":
		return fieldErr("username", "field required", "value_error.missing")
	case !utf8.ValidString(name):
		return fieldErr("username", "username must be valid UTF-8", "value_error")
	case utf8.RuneCountInString(name) > MaxUsernameLen:
		return fieldErr("username", fmt.Sprintf("username must be at most %d characters", MaxUsernameLen), "value_error.any_str.max_length")
	case hasControl(name):
		return fieldErr("username", "username must not contain control characters", "value_error")
	}
	return nil
}

// isImportableHash reports whether a stored hash is one VerifyPassword
// (or, for client secrets, VerifySecret) can check.
func isImportableHash(h string, secret bool) bool {
	if secret && strings.HasPrefix(h, auth.SecretHashPrefix) {
		return len(h) == len(auth.SecretHashPrefix)+64
	}
	if !(strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$") || strings.HasPrefix(h, auth.PrehashPrefix)) {
		return false
	}
	return auth.BcryptCost(h) > 0
}

// Import validates a batch and hands it to the store, which applies it in
// one transaction unless dryRun. It is an operator's command with direct
// access to the database, so it takes no principal. On conflicts it
// returns the report and a Conflict error, having written nothing.
func (s *Service) Import(ctx context.Context, b ImportBatch, dryRun bool) (ImportReport, error) {
	if err := ValidateImport(b); err != nil {
		return ImportReport{DryRun: dryRun, UnknownFields: b.UnknownFields}, err
	}
	now := s.now()
	b.Users, b.Sites, b.Clients = slices.Clone(b.Users), slices.Clone(b.Sites), slices.Clone(b.Clients)
	for i := range b.Users {
		if b.Users[i].CreatedAt.IsZero() {
			b.Users[i].CreatedAt = now
		}
		// Tokens the existing deployment issued to a disabled user must
		// stay refused if an admin enables the account here later, as
		// tokens of a user disabled here do.
		if b.Users[i].Disabled && b.Users[i].TokensValidAfter.IsZero() {
			b.Users[i].TokensValidAfter = now
		}
		b.Users[i].SiteAdmin = dedupe(b.Users[i].SiteAdmin)
	}
	for i := range b.Sites {
		if b.Sites[i].CreatedAt.IsZero() {
			b.Sites[i].CreatedAt = now
		}
		b.Sites[i].CapabilityIDs = dedupe(b.Sites[i].CapabilityIDs)
	}
	for i := range b.Clients {
		if b.Clients[i].CreatedAt.IsZero() {
			b.Clients[i].CreatedAt = now
		}
	}
	r, err := s.Store.Import(ctx, b, dryRun)
	if err == nil && r.Written {
		// One summary event per committed import: counts, never hashes.
		s.Audit(ctx, AuditActorImport, AuditAccountsImported, "files: "+strings.Join(b.files(), ", "), fmt.Sprintf(
			"imported %d user(s), %d site(s), %d client(s), %d allowance(s); unchanged %d, %d, %d, %d",
			r.Users.Imported, r.Sites.Imported, r.Clients.Imported, r.Allowances.Imported,
			r.Users.Unchanged, r.Sites.Unchanged, r.Clients.Unchanged, r.Allowances.Unchanged))
	}
	return r, err
}

// files lists the export files the batch's items came from.
func (b ImportBatch) files() []string {
	seen := map[string]bool{}
	add := func(src Source) {
		if src.File != "" {
			seen[src.File] = true
		}
	}
	for _, u := range b.Users {
		add(u.Source)
	}
	for _, x := range b.Sites {
		add(x.Source)
	}
	for _, c := range b.Clients {
		add(c.Source)
	}
	for _, a := range b.Allowances {
		add(a.Source)
	}
	return sortedKeys(seen)
}

// DryRunOnEmpty reports what an import would do on a database that holds
// nothing yet (one that does not exist, or has no schema): a dry run must
// not create it to find out.
func DryRunOnEmpty(b ImportBatch) (ImportReport, error) {
	if err := ValidateImport(b); err != nil {
		return ImportReport{DryRun: true, UnknownFields: b.UnknownFields}, err
	}
	r := PlanImport(b, ImportExisting{}, true).Report
	return r, r.Err()
}
