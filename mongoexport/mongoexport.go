package mongoexport

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/nmdc-runtime/server/domain"
)

// Error is a problem at one line of one file.
type Error struct {
	Source domain.Source
	Msg    string
}

func (e *Error) Error() string { return e.Source.String() + ": " + e.Msg }

// maxFileBytes bounds one export file; real ones are far smaller.
const maxFileBytes = 1 << 30

// document is one exported document: its raw fields, and which of them the
// reader used.
type document struct {
	src    domain.Source
	fields map[string]jsontext.Value
	known  map[string]bool
}

func (d *document) errorf(format string, args ...any) error {
	return &Error{Source: d.src, Msg: fmt.Sprintf(format, args...)}
}

// documents calls fn for each document of an export file, in order.
func documents(name string, r io.Reader, fn func(*document) error) error {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxFileBytes {
		return fmt.Errorf("%s: larger than %d bytes", name, maxFileBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM some editors add
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return arrayDocuments(name, data, fn)
	}
	line := 0
	for len(data) > 0 {
		line++
		var text []byte
		text, data, _ = bytes.Cut(data, []byte("\n"))
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		d, err := parseDocument(domain.Source{File: name, Line: line}, text)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// arrayDocuments reads a file holding one JSON array of documents (as
// "mongoexport --jsonArray" writes it, pretty or not). A document's line is
// the line where it starts.
func arrayDocuments(name string, data []byte, fn func(*document) error) error {
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	syntax := func(err error) error {
		var se *jsontext.SyntacticError
		off := dec.InputOffset()
		if errors.As(err, &se) {
			off = se.ByteOffset
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return &Error{Source: domain.Source{File: name, Line: lineAt(off)}, Msg: "the JSON array ends early: the file is truncated"}
		}
		return &Error{Source: domain.Source{File: name, Line: lineAt(off)}, Msg: "not valid JSON: " + plainJSONError(err)}
	}
	if _, err := dec.ReadToken(); err != nil { // '['
		return syntax(err)
	}
	for dec.PeekKind() != ']' {
		start := dec.InputOffset()
		for start < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[start]) >= 0 {
			start++
		}
		v, err := dec.ReadValue()
		if err != nil {
			return syntax(err)
		}
		d, err := parseDocument(domain.Source{File: name, Line: lineAt(start)}, v)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil { // ']'
		return syntax(err)
	}
	if _, err := dec.ReadValue(); err != io.EOF {
		return &Error{Source: domain.Source{File: name, Line: lineAt(dec.InputOffset())}, Msg: "unexpected data after the JSON array"}
	}
	return nil
}

func parseDocument(src domain.Source, text []byte) (*document, error) {
	d := &document{src: src, known: map[string]bool{}}
	v := jsontext.Value(text)
	if !v.IsValid() {
		var probe any
		err := json.Unmarshal(text, &probe)
		if err == nil {
			err = errors.New("invalid")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, d.errorf("the document ends early: the line is truncated or not one whole JSON document")
		}
		return nil, d.errorf("not a valid JSON document: %s", plainJSONError(err))
	}
	if v.Kind() != '{' {
		return nil, d.errorf("a document must be a JSON object, not %s", kindName(v.Kind()))
	}
	if err := json.Unmarshal(text, &d.fields); err != nil {
		return nil, d.errorf("not a valid JSON document: %s", plainJSONError(err))
	}
	if err := d.objectID(); err != nil {
		return nil, err
	}
	return d, nil
}

// plainJSONError drops the library's prefix from a JSON error.
func plainJSONError(err error) string {
	s := err.Error()
	for _, p := range []string{"jsontext: ", "json: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "an invalid value"
}

// value returns a field and marks it known; ok is false when it is
// missing or null.
func (d *document) value(field string) (jsontext.Value, bool) {
	d.known[field] = true
	v, ok := d.fields[field]
	if !ok || v.Kind() == 'n' {
		return nil, false
	}
	return v, true
}

// objectID checks _id: {"$oid": "<24 hex digits>"} when present.
func (d *document) objectID() error {
	v, ok := d.value("_id")
	if !ok {
		return nil
	}
	var w map[string]jsontext.Value
	if v.Kind() != '{' || json.Unmarshal(v, &w) != nil || len(w) != 1 || w["$oid"] == nil {
		return d.errorf(`_id must be an ObjectId written as {"$oid": "<24 hexadecimal digits>"}, not %s`, truncate(string(v)))
	}
	var oid string
	if err := json.Unmarshal(w["$oid"], &oid); err != nil {
		return d.errorf(`_id: $oid must be a string of 24 hexadecimal digits, not %s`, truncate(string(w["$oid"])))
	}
	if _, err := hex.DecodeString(oid); err != nil || len(oid) != 24 {
		return d.errorf(`_id: $oid must be 24 hexadecimal digits, not %q`, truncate(oid))
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// str returns a string field; "" when missing or null. required names a
// missing one.
func (d *document) str(field string, required bool) (string, error) {
	v, ok := d.value(field)
	if !ok {
		if required {
			return "", d.errorf("field %q is required", field)
		}
		return "", nil
	}
	var s string
	if v.Kind() != '"' || json.Unmarshal(v, &s) != nil {
		return "", d.errorf("field %q must be a string, not %s", field, kindName(v.Kind()))
	}
	if required && s == "" {
		return "", d.errorf("field %q must not be empty", field)
	}
	return s, nil
}

// strings returns a list of strings; nil when missing or null.
func (d *document) strings(field string) ([]string, error) {
	v, ok := d.value(field)
	if !ok {
		return nil, nil
	}
	var items []jsontext.Value
	if v.Kind() != '[' || json.Unmarshal(v, &items) != nil {
		return nil, d.errorf("field %q must be a list of strings, not %s", field, kindName(v.Kind()))
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if it.Kind() != '"' || json.Unmarshal(it, &s) != nil {
			return nil, d.errorf("field %q: item %d must be a string, not %s", field, i, kindName(it.Kind()))
		}
		out = append(out, s)
	}
	return out, nil
}

// boolean returns a boolean field; false when missing or null.
func (d *document) boolean(field string) (bool, error) {
	v, ok := d.value(field)
	if !ok {
		return false, nil
	}
	switch v.Kind() {
	case 't':
		return true, nil
	case 'f':
		return false, nil
	}
	return false, d.errorf("field %q must be true or false, not %s", field, kindName(v.Kind()))
}

// date returns a date field; zero when missing or null. It accepts every
// form mongoexport writes: {"$date": "<ISO-8601>"} (relaxed),
// {"$date": {"$numberLong": "<ms>"}} (canonical, and relaxed outside
// 1970-9999), and {"$date": <ms>} (legacy).
func (d *document) date(field string) (time.Time, error) {
	v, ok := d.value(field)
	if !ok {
		return time.Time{}, nil
	}
	t, err := parseDate(v)
	if err != nil {
		return time.Time{}, d.errorf("field %q: %v", field, err)
	}
	return t, nil
}

func parseDate(v jsontext.Value) (time.Time, error) {
	bad := fmt.Errorf(`a date must be {"$date": "<RFC 3339 time>"} or {"$date": {"$numberLong": "<milliseconds>"}}, not %s`, truncate(string(v)))
	var w map[string]jsontext.Value
	if v.Kind() != '{' || json.Unmarshal(v, &w) != nil || len(w) != 1 || w["$date"] == nil {
		return time.Time{}, bad
	}
	inner := w["$date"]
	switch inner.Kind() {
	case '"':
		var s string
		if err := json.Unmarshal(inner, &s); err != nil {
			return time.Time{}, bad
		}
		// RFC 3339, or the "+0000" offset some older tools write.
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("$date %q is not an RFC 3339 time such as 2024-05-01T12:00:00.000Z", truncate(s))
	case '0':
		return millis(string(inner), bad)
	case '{':
		var n map[string]string
		if json.Unmarshal(inner, &n) != nil || len(n) != 1 {
			return time.Time{}, bad
		}
		ms, ok := n["$numberLong"]
		if !ok {
			return time.Time{}, bad
		}
		return millis(ms, bad)
	}
	return time.Time{}, bad
}

func millis(s string, bad error) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, bad
	}
	return time.UnixMilli(n).UTC(), nil
}

// unknown counts the fields no reader asked for, as "prefix.field".
func (d *document) unknown(prefix string, counts map[string]int) {
	for name := range d.fields {
		if !d.known[name] {
			counts[prefix+"."+name]++
		}
	}
}

func newBatch(b *domain.ImportBatch) {
	if b.UnknownFields == nil {
		b.UnknownFields = map[string]int{}
	}
}

// ReadUsers appends the users of an export of the users collection.
func ReadUsers(name string, r io.Reader, b *domain.ImportBatch) error {
	newBatch(b)
	return documents(name, r, func(d *document) error {
		var u domain.ImportUser
		u.Source = d.src
		var err error
		if u.Username, err = d.str("username", true); err != nil {
			return err
		}
		if u.PasswordHash, err = d.str("hashed_password", true); err != nil {
			return err
		}
		if u.Email, err = d.str("email", false); err != nil {
			return err
		}
		if u.FullName, err = d.str("full_name", false); err != nil {
			return err
		}
		if u.SiteAdmin, err = d.strings("site_admin"); err != nil {
			return err
		}
		if u.Disabled, err = d.boolean("disabled"); err != nil {
			return err
		}
		if u.CreatedAt, err = d.date("created_at"); err != nil {
			return err
		}
		d.unknown("users", b.UnknownFields)
		b.Users = append(b.Users, u)
		return nil
	})
}

// ReadSites appends the sites, and their clients, of an export of the
// sites collection.
func ReadSites(name string, r io.Reader, b *domain.ImportBatch) error {
	newBatch(b)
	return documents(name, r, func(d *document) error {
		var s domain.ImportSite
		s.Source = d.src
		var err error
		if s.ID, err = d.str("id", true); err != nil {
			return err
		}
		if s.CapabilityIDs, err = d.strings("capability_ids"); err != nil {
			return err
		}
		if s.CreatedAt, err = d.date("created_at"); err != nil {
			return err
		}
		clients, ok := d.value("clients")
		if ok {
			var items []jsontext.Value
			if clients.Kind() != '[' || json.Unmarshal(clients, &items) != nil {
				return d.errorf("field %q must be a list of {id, hashed_secret} objects, not %s", "clients", kindName(clients.Kind()))
			}
			for i, it := range items {
				c, err := readClient(d.src, i, it, s.ID, b.UnknownFields)
				if err != nil {
					return err
				}
				b.Clients = append(b.Clients, c)
			}
		}
		d.unknown("sites", b.UnknownFields)
		b.Sites = append(b.Sites, s)
		return nil
	})
}

func readClient(src domain.Source, i int, v jsontext.Value, siteID string, unknown map[string]int) (domain.ImportClient, error) {
	c := domain.ImportClient{Source: src}
	c.SiteID = siteID
	d := &document{src: src, known: map[string]bool{}}
	if v.Kind() != '{' || json.Unmarshal(v, &d.fields) != nil {
		return c, d.errorf("clients[%d] must be an object {id, hashed_secret}, not %s", i, kindName(v.Kind()))
	}
	var err error
	if c.ID, err = d.str("id", true); err != nil {
		return c, d.errorf("clients[%d]: %s", i, err.(*Error).Msg)
	}
	if c.SecretHash, err = d.str("hashed_secret", true); err != nil {
		return c, d.errorf("clients[%d]: %s", i, err.(*Error).Msg)
	}
	if c.CreatedAt, err = d.date("created_at"); err != nil {
		return c, d.errorf("clients[%d]: %s", i, err.(*Error).Msg)
	}
	d.unknown("sites.clients", unknown)
	return c, nil
}

// ReadAllowances appends the {username, action} pairs of an export of the
// allowances collection.
func ReadAllowances(name string, r io.Reader, b *domain.ImportBatch) error {
	newBatch(b)
	return documents(name, r, func(d *document) error {
		var a domain.ImportAllowance
		a.Source = d.src
		var err error
		if a.Username, err = d.str("username", true); err != nil {
			return err
		}
		if a.Action, err = d.str("action", true); err != nil {
			return err
		}
		d.unknown("allowances", b.UnknownFields)
		b.Allowances = append(b.Allowances, a)
		return nil
	})
}
