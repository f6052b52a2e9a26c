package domain

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzValidateSiteID: an accepted site id is 1–100 characters of
// A-Za-z0-9._-, does not start with '.', and so holds no '/', ':' or "..".
func FuzzValidateSiteID(f *testing.F) {
	for _, s := range []string{"lab", "nmdc-runtime-useradmin", "a/b", "a:b", "..", ".hidden", "a..b", "x%2Fy", "labö", strings.Repeat("a", 101), "", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if ValidateSiteID("id", id) != nil {
			return
		}
		if id == "" || len(id) > MaxSiteIDLen || id[0] == '.' || strings.ContainsAny(id, "/:%\\ \x00") || strings.HasPrefix(id, "..") {
			t.Fatalf("accepted %q", id)
		}
		for _, r := range id {
			if r > unicode.MaxASCII || !isSiteIDRune(r) {
				t.Fatalf("accepted %q with %q", id, r)
			}
		}
	})
}

// FuzzValidateUsername: an accepted username is valid UTF-8 of at most 255
// characters, trimmed, with no control or invisible formatting characters;
// its folded form is stable.
func FuzzValidateUsername(f *testing.F) {
	for _, s := range []string{"alice", "Alice", "ａｌｉｃｅ", "ad\u200bmin", " x", "x\x00", "\xff", "0000-0002-1825-0097", "ǅ", "ß", "İ", strings.Repeat("u", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		folded := FoldUsername(name)
		if FoldUsername(name) != folded {
			t.Fatalf("FoldUsername(%q) is not deterministic", name)
		}
		if ValidateUsername(name) != nil {
			return
		}
		if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxUsernameLen || strings.TrimSpace(name) != name || name == "" {
			t.Fatalf("accepted %q", name)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("accepted %q with %U", name, r)
			}
		}
	})
}

// FuzzDecodePageToken: a page token decodes only to a key every backend
// can store, and tokens made by EncodePageToken round-trip.
func FuzzDecodePageToken(f *testing.F) {
	for _, s := range []string{"", "bGFi", "!!", "%%%", EncodePageToken("a\x00b"), EncodePageToken("nmdc-runtime-useradmin")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		key, err := DecodePageToken(tok)
		if err != nil {
			if !IsKind(err, Invalid) {
				t.Fatalf("error kind %v", KindOf(err))
			}
			return
		}
		if !storable(key) {
			t.Fatalf("decoded a key no backend can store: %q", key)
		}
		if key != "" {
			if k2, err := DecodePageToken(EncodePageToken(key)); err != nil || k2 != key {
				t.Fatalf("round trip of %q: %q %v", key, k2, err)
			}
		}
	})
}
