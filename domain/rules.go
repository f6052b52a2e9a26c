package domain

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Limits on request fields. They bound what a client can make the server
// store or hash; nothing a person needs comes near them.
const (
	MaxUsernameLen   = 255
	MaxSiteIDLen     = 100
	MaxTextLen       = 1000
	MinPasswordChars = 8
	MaxPasswordBytes = 1024
	MaxListItems     = 1000
	MinSecretChars   = 8
)

var folder = cases.Fold()

// FoldUsername is the form under which two usernames count as the same
// person: Unicode NFKC, then case folding, then NFKC again (case folding can
// de-normalize). New usernames whose folded forms collide are refused, so
// "Alice" cannot be made beside "alice", nor "ａｌｉｃｅ" (fullwidth).
func FoldUsername(name string) string {
	return norm.NFKC.String(folder.String(norm.NFKC.String(name)))
}

// ValidateUsername checks a new username.
func ValidateUsername(name string) *FieldError {
	switch {
	case name == "":
		return fieldErr("username", "field required", "value_error.missing")
	case !utf8.ValidString(name):
		return fieldErr("username", "username must be valid UTF-8", "value_error")
	case utf8.RuneCountInString(name) > MaxUsernameLen:
		return fieldErr("username", fmt.Sprintf("username must be at most %d characters", MaxUsernameLen), "value_error.any_str.max_length")
	case strings.TrimSpace(name) != name:
		return fieldErr("username", "username must not start or end with white space", "value_error")
	case hasControl(name):
		return fieldErr("username", "username must not contain control characters", "value_error")
	case name == "me" || name == "." || name == "..":
		return fieldErr("username", fmt.Sprintf("username %q is reserved (it names the caller or a path step)", name), "value_error")
	case strings.Contains(name, "/"):
		return fieldErr("username", "username must not contain '/'", "value_error")
	case strings.IndexFunc(name, invisible) >= 0:
		return fieldErr("username", "username must not contain spaces or invisible characters (such as zero-width or direction marks)", "value_error")
	case !norm.NFKC.IsNormalString(name):
		return fieldErr("username", fmt.Sprintf("username must be typed in its plain Unicode form (NFKC), such as %q", truncateRunes(norm.NFKC.String(name), 100)), "value_error")
	case mixedScripts(name):
		return fieldErr("username", "username must not mix letters of different scripts (such as Latin and Cyrillic), which makes look-alike names", "value_error")
	}
	return nil
}

// invisible reports characters that render as nothing or as blank space:
// format characters (zero-width, soft hyphen, bidi controls) and spaces.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)
}

// confusableScripts are scripts whose letters are commonly mistaken for
// each other; a name may use letters of at most one of them.
var confusableScripts = []*unicode.RangeTable{unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Armenian, unicode.Cherokee}

func mixedScripts(name string) bool {
	seen := -1
	for _, r := range name {
		if !unicode.IsLetter(r) {
			continue
		}
		for i, t := range confusableScripts {
			if unicode.Is(t, r) {
				if seen >= 0 && seen != i {
					return true
				}
				seen = i
			}
		}
	}
	return false
}

// ValidatePassword checks a new password (NIST SP 800-63B: at least 8
// characters, long ones allowed, every character kept as typed).
func ValidatePassword(field, pw string) *FieldError {
	switch {
	case pw == "":
		return fieldErr(field, "field required", "value_error.missing")
	case !utf8.ValidString(pw):
		return fieldErr(field, field+" must be valid UTF-8", "value_error")
	case len(pw) > MaxPasswordBytes:
		return fieldErr(field, fmt.Sprintf("%s must be at most %d bytes", field, MaxPasswordBytes), "value_error.any_str.max_length")
	case utf8.RuneCountInString(pw) < MinPasswordChars:
		return fieldErr(field, fmt.Sprintf("%s must be at least %d characters", field, MinPasswordChars), "value_error.any_str.min_length")
	}
	return nil
}

// ValidateSiteID checks a new site id: 1–100 characters of A-Za-z0-9._-,
// not starting with '.', so no '/', ':' or '..' ever reaches a path, and
// not ending with '.', which would make a look-alike of the id without it.
func ValidateSiteID(field, id string) *FieldError {
	if id == "" {
		return fieldErr(field, "field required", "value_error.missing")
	}
	if len(id) > MaxSiteIDLen || id[0] == '.' || id[len(id)-1] == '.' || strings.IndexFunc(id, func(r rune) bool { return !isSiteIDRune(r) }) >= 0 {
		return fieldErr(field, field+": a site id must be 1 to 100 characters of A-Z a-z 0-9 . _ - and must not start or end with '.'", "value_error.site_id")
	}
	return nil
}

func isSiteIDRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// ValidateText checks an optional free-text field.
func ValidateText(field, s string) *FieldError {
	switch {
	case !utf8.ValidString(s):
		return fieldErr(field, field+" must be valid UTF-8", "value_error")
	case utf8.RuneCountInString(s) > MaxTextLen:
		return fieldErr(field, fmt.Sprintf("%s must be at most %d characters", field, MaxTextLen), "value_error.any_str.max_length")
	case hasControl(s):
		return fieldErr(field, field+" must not contain control characters", "value_error")
	}
	return nil
}

// ValidateEmail checks an optional email address.
func ValidateEmail(s string) *FieldError {
	if s == "" {
		return nil
	}
	if fe := ValidateText("email", s); fe != nil {
		return fe
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return fieldErr("email", "email must be a plain address such as name@example.org", "value_error.email")
	}
	return nil
}

// ValidateSiteIDList checks a list of site ids for a new grant: each must
// be a valid site id, so a typo grants nothing silently.
func ValidateSiteIDList(field string, ids []string) *FieldError {
	if fe := ValidateIDList(field, ids); fe != nil {
		return fe
	}
	for i, id := range ids {
		if fe := ValidateSiteID(fmt.Sprintf("%s[%d]", field, i), id); fe != nil {
			fe.Loc = []string{"body", field, fmt.Sprint(i)}
			return fe
		}
	}
	return nil
}

// ValidateIDList checks a list of ids (site_admin, capability_ids): each
// a non-empty text without control characters, and a bounded count.
func ValidateIDList(field string, ids []string) *FieldError {
	if len(ids) > MaxListItems {
		return fieldErr(field, fmt.Sprintf("%s may hold at most %d items", field, MaxListItems), "value_error.list.max_items")
	}
	for i, id := range ids {
		f := fmt.Sprintf("%s[%d]", field, i)
		if id == "" {
			return &FieldError{Loc: []string{"body", field, fmt.Sprint(i)}, Msg: f + " must not be empty", Type: "value_error"}
		}
		if fe := ValidateText(f, id); fe != nil {
			fe.Loc = []string{"body", field, fmt.Sprint(i)}
			return fe
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

func fieldErr(field, msg, typ string) *FieldError {
	return &FieldError{Loc: []string{"body", field}, Msg: msg, Type: typ}
}

// dedupe returns ids without repeats, keeping the first occurrence.
func dedupe(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// storable reports whether s can be looked up on every backend: valid
// UTF-8 without NUL.
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
