package mongoexport

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nmdc-runtime/server/domain"
	"github.com/nmdc-runtime/server/internal/testfixtures"
)

const oid = `"_id": {"$oid": "fae459cd4089ca0e1b8b098d"}`

func TestReadUsersShapes(t *testing.T) {
	when := time.Date(2024, 5, 1, 12, 0, 0, 123_000_000, time.UTC)
	tests := []struct {
		name  string
		input string
		want  []domain.User
		// unknown is the UnknownFields count expected.
		unknown map[string]int
	}{
		{
			name:  "every field",
			input: `{` + oid + `, "username": "a", "hashed_password": "h", "email": "a@x.org", "full_name": "A", "site_admin": ["s1", "s2"], "disabled": true}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h", Email: "a@x.org", FullName: "A", SiteAdmin: []string{"s1", "s2"}, Disabled: true}},
		},
		{
			name:  "optional fields missing",
			input: `{"username": "a", "hashed_password": "h"}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h"}},
		},
		{
			name:  "optional fields null",
			input: `{` + oid + `, "username": "a", "hashed_password": "h", "email": null, "full_name": null, "site_admin": null, "disabled": null, "created_at": null}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h"}},
		},
		{
			name:    "unknown fields counted",
			input:   `{"username": "a", "hashed_password": "h", "favourite": 1, "nested": {"x": [1]}}` + "\n" + `{"username": "b", "hashed_password": "h", "favourite": "z"}`,
			want:    []domain.User{{Username: "a", PasswordHash: "h"}, {Username: "b", PasswordHash: "h"}},
			unknown: map[string]int{"users.favourite": 2, "users.nested": 1},
		},
		{
			name:  "relaxed date",
			input: `{"username": "a", "hashed_password": "h", "created_at": {"$date": "2024-05-01T12:00:00.123Z"}}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h", CreatedAt: when}},
		},
		{
			name:  "relaxed date with offset",
			input: `{"username": "a", "hashed_password": "h", "created_at": {"$date": "2024-05-01T14:00:00.123+02:00"}}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h", CreatedAt: when}},
		},
		{
			name:  "date with a +0000 offset",
			input: `{"username": "a", "hashed_password": "h", "created_at": {"$date": "2024-05-01T12:00:00.123+0000"}}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h", CreatedAt: when}},
		},
		{
			name:  "canonical date",
			input: `{"username": "a", "hashed_password": "h", "created_at": {"$date": {"$numberLong": "1714564800123"}}}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h", CreatedAt: when}},
		},
		{
			name:  "legacy date as a number",
			input: `{"username": "a", "hashed_password": "h", "created_at": {"$date": 1714564800123}}`,
			want:  []domain.User{{Username: "a", PasswordHash: "h", CreatedAt: when}},
		},
		{
			name:  "blank lines, CRLF and a BOM",
			input: "\xef\xbb\xbf" + `{"username": "a", "hashed_password": "h"}` + "\r\n\r\n" + `{"username": "b", "hashed_password": "h"}` + "\r\n",
			want:  []domain.User{{Username: "a", PasswordHash: "h"}, {Username: "b", PasswordHash: "h"}},
		},
		{
			name:  "JSON array on one line",
			input: `[{"username": "a", "hashed_password": "h"},{"username": "b", "hashed_password": "h"}]`,
			want:  []domain.User{{Username: "a", PasswordHash: "h"}, {Username: "b", PasswordHash: "h"}},
		},
		{
			name:  "empty JSON array",
			input: " [ ]\n",
		},
		{
			name: "empty file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b domain.ImportBatch
			if err := ReadUsers("users.json", strings.NewReader(tc.input), &b); err != nil {
				t.Fatalf("ReadUsers: %v", err)
			}
			var got []domain.User
			for _, u := range b.Users {
				got = append(got, u.User)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d users, want %d: %+v", len(got), len(tc.want), got)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.Username != w.Username || g.PasswordHash != w.PasswordHash || g.Email != w.Email || g.FullName != w.FullName ||
					!slices.Equal(g.SiteAdmin, w.SiteAdmin) || g.Disabled != w.Disabled || !g.CreatedAt.Equal(w.CreatedAt) {
					t.Errorf("user %d = %+v, want %+v", i, g, w)
				}
			}
			if tc.unknown == nil {
				tc.unknown = map[string]int{}
			}
			if !mapsEqual(b.UnknownFields, tc.unknown) {
				t.Errorf("unknown fields = %v, want %v", b.UnknownFields, tc.unknown)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestArrayLineNumbers: in a --jsonArray file each document is named by
// the line it starts on, pretty-printed or not.
func TestArrayLineNumbers(t *testing.T) {
	input := "[\n  {\n    \"username\": \"a\",\n    \"hashed_password\": \"h\"\n  },\n  {\n    \"username\": \"b\",\n    \"hashed_password\": \"h\"\n  }\n]\n"
	var b domain.ImportBatch
	if err := ReadUsers("users.json", strings.NewReader(input), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Users) != 2 || b.Users[0].Source.Line != 2 || b.Users[1].Source.Line != 6 {
		t.Fatalf("users = %+v", b.Users)
	}
	compact := "[{\"username\": \"a\", \"hashed_password\": \"h\"},\n{\"username\": \"b\", \"hashed_password\": \"h\"}]"
	b = domain.ImportBatch{}
	if err := ReadUsers("users.json", strings.NewReader(compact), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Users) != 2 || b.Users[0].Source.Line != 1 || b.Users[1].Source.Line != 2 {
		t.Fatalf("users = %+v", b.Users)
	}
}

// TestMalformedDocuments: every malformed document is an error naming the
// file, the line and the problem.
func TestMalformedDocuments(t *testing.T) {
	good := `{` + oid + `, "username": "a", "hashed_password": "h"}` + "\n"
	tests := []struct {
		name    string
		read    func(string, *strings.Reader, *domain.ImportBatch) error
		input   string
		mention []string
	}{
		{name: "truncated line", input: good + `{"_id": {"$oid": "fae459cd4089ca0e1b8b098e"}, "username": "b", "hashed_pa` + "\n" + good, mention: []string{"users.json line 2", "ends early"}},
		{name: "truncated last line", input: good + `{"username": "b"`, mention: []string{"users.json line 2", "ends early"}},
		{name: "two documents on a line", input: `{"username": "a", "hashed_password": "h"} {"username": "b", "hashed_password": "h"}`, mention: []string{"line 1", "not a valid JSON document"}},
		{name: "not JSON", input: good + good + "username=a\n", mention: []string{"line 3", "not a valid JSON document"}},
		{name: "not an object", input: good + "42\n", mention: []string{"line 2", "must be a JSON object, not a number"}},
		{name: "array of non-objects", input: `["username", "a"]`, mention: []string{"line 1", "must be a JSON object, not a string"}},
		{name: "duplicate key", input: `{"username": "a", "username": "b", "hashed_password": "h"}`, mention: []string{"line 1", "duplicate"}},
		{name: "invalid UTF-8", input: "{\"username\": \"a\xff\", \"hashed_password\": \"h\"}", mention: []string{"line 1", "UTF-8"}},
		{name: "bad oid: not hex", input: good + `{"_id": {"$oid": "zzz459cd4089ca0e1b8b098d"}, "username": "b", "hashed_password": "h"}`, mention: []string{"users.json line 2", "$oid", "24 hexadecimal"}},
		{name: "bad oid: too short", input: `{"_id": {"$oid": "fae459cd"}, "username": "b", "hashed_password": "h"}`, mention: []string{"line 1", "24 hexadecimal", "fae459cd"}},
		{name: "bad oid: a number", input: `{"_id": {"$oid": 12}, "username": "b", "hashed_password": "h"}`, mention: []string{"line 1", "$oid must be a string"}},
		{name: "bad oid: plain string", input: `{"_id": "fae459cd4089ca0e1b8b098d", "username": "b", "hashed_password": "h"}`, mention: []string{"line 1", "ObjectId"}},
		{name: "bad oid: extra key", input: `{"_id": {"$oid": "fae459cd4089ca0e1b8b098d", "x": 1}, "username": "b", "hashed_password": "h"}`, mention: []string{"line 1", "ObjectId"}},
		{name: "missing username", input: `{"hashed_password": "h"}`, mention: []string{"line 1", `"username" is required`}},
		{name: "null username", input: `{"username": null, "hashed_password": "h"}`, mention: []string{"line 1", `"username" is required`}},
		{name: "missing hash", input: `{"username": "a"}`, mention: []string{"line 1", `"hashed_password" is required`}},
		{name: "username a number", input: `{"username": 7, "hashed_password": "h"}`, mention: []string{"line 1", `"username" must be a string, not a number`}},
		{name: "site_admin a string", input: `{"username": "a", "hashed_password": "h", "site_admin": "s"}`, mention: []string{"line 1", `"site_admin" must be a list`}},
		{name: "site_admin item null", input: `{"username": "a", "hashed_password": "h", "site_admin": ["s", null]}`, mention: []string{"line 1", "item 1 must be a string"}},
		{name: "disabled a string", input: `{"username": "a", "hashed_password": "h", "disabled": "yes"}`, mention: []string{"line 1", `"disabled" must be true or false`}},
		{name: "bad date", input: `{"username": "a", "hashed_password": "h", "created_at": {"$date": "yesterday"}}`, mention: []string{"line 1", "RFC 3339"}},
		{name: "date as plain string", input: `{"username": "a", "hashed_password": "h", "created_at": "2024-05-01"}`, mention: []string{"line 1", "$date"}},
		{name: "truncated array", input: "[\n" + `{"username": "a", "hashed_password": "h"},` + "\n" + `{"username": "b", "hashed_pass`, mention: []string{"line 3", "truncated"}},
		{name: "array without its end", input: "[\n" + `{"username": "a", "hashed_password": "h"}`, mention: []string{"truncated"}},
		{name: "data after array", input: `[{"username": "a", "hashed_password": "h"}] {}`, mention: []string{"line 1", "after the JSON array"}},
		{name: "bad oid in array", input: "[\n" + `{"username": "a", "hashed_password": "h"},` + "\n" + `{"_id": {"$oid": "nope"}, "username": "b", "hashed_password": "h"}]`, mention: []string{"line 3", "$oid"}},
		{name: "site clients not a list", read: readSites, input: `{"id": "s", "clients": {"id": "c"}}`, mention: []string{"sites.json line 1", `"clients" must be a list`}},
		{name: "site client without hash", read: readSites, input: `{"id": "s", "clients": [{"id": "c"}]}`, mention: []string{"sites.json line 1", "clients[0]", `"hashed_secret" is required`}},
		{name: "site without id", read: readSites, input: `{"capability_ids": []}`, mention: []string{"sites.json line 1", `"id" is required`}},
		{name: "allowance without action", read: readAllowances, input: `{"username": "a"}`, mention: []string{"allowances.json line 1", `"action" is required`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			read := tc.read
			if read == nil {
				read = readUsers
			}
			var b domain.ImportBatch
			err := read("", strings.NewReader(tc.input), &b)
			if err == nil {
				t.Fatalf("no error; batch %+v", b)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func readUsers(_ string, r *strings.Reader, b *domain.ImportBatch) error {
	return ReadUsers("users.json", r, b)
}

func readSites(_ string, r *strings.Reader, b *domain.ImportBatch) error {
	return ReadSites("sites.json", r, b)
}

func readAllowances(_ string, r *strings.Reader, b *domain.ImportBatch) error {
	return ReadAllowances("allowances.json", r, b)
}

// TestReferenceExport reads the fixtures' export as mongoexport wrote it.
func TestReferenceExport(t *testing.T) {
	dir := testfixtures.Path(t, "reference-export")
	var b domain.ImportBatch
	for name, read := range map[string]func(string, *os.File, *domain.ImportBatch) error{
		"users.json":      func(n string, f *os.File, b *domain.ImportBatch) error { return ReadUsers(n, f, b) },
		"sites.json":      func(n string, f *os.File, b *domain.ImportBatch) error { return ReadSites(n, f, b) },
		"allowances.json": func(n string, f *os.File, b *domain.ImportBatch) error { return ReadAllowances(n, f, b) },
	} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := read(name, f, &b); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if len(b.Users) != 5 || len(b.Sites) != 4 || len(b.Clients) != 3 || len(b.Allowances) != 3 {
		t.Fatalf("read %d users, %d sites, %d clients, %d allowances", len(b.Users), len(b.Sites), len(b.Clients), len(b.Allowances))
	}
	for _, c := range b.Clients {
		if c.SiteID == "" || !strings.HasPrefix(c.SecretHash, "$2b$") || c.Source.File != "sites.json" {
			t.Errorf("client %+v", c)
		}
	}
	if err := domain.ValidateImport(b); err != nil {
		t.Fatalf("ValidateImport: %v", err)
	}
}
