package domain

import (
	"strings"
	"testing"
)

const testHash = "$2b$10$HM5006ZSjKsGOInmJSj2Qerxo0JEJeGI70drOwpnafZgXT6aYNOhC"

func src(file string, line int) Source { return Source{File: file, Line: line} }

// TestValidateImport: each invalid document is named by file and line, a
// repeated key by both lines; usernames and site ids outside the rules
// for new ones pass (PlanImport notes them).
func TestValidateImport(t *testing.T) {
	user := func(name string, line int) ImportUser {
		return ImportUser{User: User{Username: name, PasswordHash: testHash}, Source: src("users.json", line)}
	}
	site := func(id string, line int) ImportSite {
		return ImportSite{Site: Site{ID: id}, Source: src("sites.json", line)}
	}
	client := func(id, hash string, line int) ImportClient {
		return ImportClient{SiteClient: SiteClient{ID: id, SiteID: "s", SecretHash: hash}, Source: src("sites.json", line)}
	}
	allow := func(name, action string, line int) ImportAllowance {
		return ImportAllowance{Allowance: Allowance{Username: name, Action: action}, Source: src("allowances.json", line)}
	}
	tests := []struct {
		name    string
		batch   ImportBatch
		mention []string // empty: valid
	}{
		{name: "valid", batch: ImportBatch{Users: []ImportUser{user("a", 1)}, Sites: []ImportSite{site("s", 1)}, Clients: []ImportClient{client("c", testHash, 1)}, Allowances: []ImportAllowance{allow("a", "/x", 1)}}},
		{name: "old-style names are kept", batch: ImportBatch{Users: []ImportUser{user(" spaced name ", 1)}, Sites: []ImportSite{site("has space/and:colon", 1)}}},
		{name: "generated client secret hash", batch: ImportBatch{Clients: []ImportClient{client("c", "sha256:"+strings.Repeat("ab", 32), 1)}}},
		{name: "empty username", batch: ImportBatch{Users: []ImportUser{user("", 4)}}, mention: []string{"users.json line 4", "username"}},
		{name: "control character", batch: ImportBatch{Users: []ImportUser{user("a\x00b", 2)}}, mention: []string{"users.json line 2", "control"}},
		{name: "duplicate username", batch: ImportBatch{Users: []ImportUser{user("a", 1), user("b", 2), user("a", 7)}}, mention: []string{"users.json line 7", `"a" is also at line 1`}},
		{name: "duplicate site", batch: ImportBatch{Sites: []ImportSite{site("s", 3), site("s", 5)}}, mention: []string{"sites.json line 5", "also at line 3"}},
		{name: "duplicate client", batch: ImportBatch{Clients: []ImportClient{client("c", testHash, 1), client("c", testHash, 2)}}, mention: []string{"sites.json line 2", `client id "c" is also at line 1`}},
		{name: "duplicate allowance", batch: ImportBatch{Allowances: []ImportAllowance{allow("a", "/x", 1), allow("a", "/x", 2)}}, mention: []string{"allowances.json line 2", "also at line 1"}},
		{name: "password hash not bcrypt", batch: ImportBatch{Users: []ImportUser{{User: User{Username: "a", PasswordHash: "plaintext"}, Source: src("users.json", 1)}}}, mention: []string{"users.json line 1", "not a bcrypt hash"}},
		{name: "truncated bcrypt hash", batch: ImportBatch{Users: []ImportUser{{User: User{Username: "a", PasswordHash: testHash[:20]}, Source: src("users.json", 1)}}}, mention: []string{"not a bcrypt hash"}},
		{name: "client hash not bcrypt", batch: ImportBatch{Clients: []ImportClient{client("c", "md5:abc", 3)}}, mention: []string{"sites.json line 3", `client "c"`}},
		{name: "empty site_admin entry", batch: ImportBatch{Users: []ImportUser{{User: User{Username: "a", PasswordHash: testHash, SiteAdmin: []string{"s", ""}}, Source: src("users.json", 1)}}}, mention: []string{"site_admin[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateImport(tc.batch)
			if len(tc.mention) == 0 {
				if err != nil {
					t.Fatalf("ValidateImport: %v", err)
				}
				return
			}
			if !IsKind(err, Invalid) {
				t.Fatalf("err = %v, want Invalid", err)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("%q does not mention %q", err, m)
				}
			}
		})
	}
}

// TestPlanImportNotes: ids kept outside the rules for new ones, and
// site_admin entries naming sites that exist nowhere, are noted.
func TestPlanImportNotes(t *testing.T) {
	b := ImportBatch{
		Users: []ImportUser{{User: User{Username: "Ann Smith", PasswordHash: testHash, SiteAdmin: []string{"old site", "stored", "missing"}}, Source: src("users.json", 1)}},
		Sites: []ImportSite{{Site: Site{ID: "old site"}, Source: src("sites.json", 2)}},
	}
	p := PlanImport(b, ImportExisting{Sites: map[string]Site{"stored": {ID: "stored"}}}, false)
	notes := strings.Join(p.Report.Notes, "\n")
	for _, m := range []string{`users.json line 1: username "Ann Smith" is kept`, `sites.json line 2: site id "old site" is kept`, `site "missing", which does not exist`} {
		if !strings.Contains(notes, m) {
			t.Errorf("notes do not mention %q:\n%s", m, notes)
		}
	}
	if strings.Contains(notes, `"stored"`) || strings.Contains(notes, `site "old site", which`) {
		t.Errorf("a site that exists is noted as missing:\n%s", notes)
	}
	if p.Report.Users.Imported != 1 || p.Report.Sites.Imported != 1 || len(p.Users) != 1 {
		t.Errorf("plan %+v", p)
	}
}
