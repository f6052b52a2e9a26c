package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/nmdc-runtime/server/domain"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// readBody reads a bounded body: 413 past MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, domain.Errorf(domain.TooLarge, "The request body is larger than %d bytes", MaxBodyBytes)
	}
	if err != nil {
		return nil, domain.Errorf(kindBadRequest, "The request body could not be read")
	}
	return b, nil
}

// decodeJSON decodes a JSON object body into the struct pointed to by v
// strictly: unknown fields, duplicate keys, invalid UTF-8 and wrong types
// are 422s that name every offending field at once, so that a typo such as
// "site_admins" is never silently dropped.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return domain.Errorf(kindUnsupportedMedia, "Content-Type must be application/json, not %q", truncate(ct, 100))
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return domain.Errorf(kindUnsupportedMedia, "Only the UTF-8 charset is accepted, not %q", truncate(cs, 40))
		}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return domain.Errorf(kindUnsupportedMedia, "Content-Encoding %q is not accepted; send the body uncompressed", truncate(ce, 40))
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return bodyErr("a JSON object body is required", "value_error.missing")
	case !utf8.Valid(body):
		return bodyErr("the body is not valid UTF-8", "value_error.jsondecode")
	case bytes.HasPrefix(body, []byte("\xef\xbb\xbf")):
		return bodyErr("the body must not start with a byte-order mark", "value_error.jsondecode")
	}
	// First the syntax and the object shape (duplicate keys included),
	// then each member on its own so every bad field is reported.
	var members map[string]jsontext.Value
	if err := json.Unmarshal(body, &members); err != nil {
		return jsonError(err)
	}
	if members == nil {
		return bodyErr("the body must be a JSON object", "type_error.dict")
	}
	fields := jsonFields(reflect.TypeOf(v).Elem())
	var problems []domain.FieldError
	for _, name := range slices.Sorted(maps.Keys(members)) {
		ft, ok := fields[name]
		if !ok {
			problems = append(problems, domain.FieldError{Loc: []string{"body", truncate(name, 100)}, Msg: fmt.Sprintf("unknown field %q: check its spelling", truncate(name, 100)), Type: "value_error.extra"})
			continue
		}
		if err := json.Unmarshal(members[name], reflect.New(ft).Interface()); err != nil {
			var fe *domain.Error
			if errors.As(jsonError(err), &fe) && len(fe.Fields) > 0 {
				f := fe.Fields[0]
				f.Loc = append([]string{"body", name}, f.Loc[1:]...)
				f.Msg = fmt.Sprintf("%s must be %s", locName(f.Loc[1:]), describeType(ft, len(f.Loc) > 2))
				if f.Type != "value_error.jsondecode" {
					f.Type = typeErrorName(ft, len(f.Loc) > 2)
				}
				problems = append(problems, f)
			}
		}
	}
	if len(problems) > 0 {
		return domain.InvalidFields(problems...)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return jsonError(err)
	}
	return nil
}

func bodyErr(msg, typ string) error {
	return domain.InvalidFields(domain.FieldError{Loc: []string{"body"}, Msg: msg, Type: typ})
}

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

// locName renders a location as people write it: site_admin[3].
func locName(loc []string) string {
	var b strings.Builder
	for i, p := range loc {
		if _, err := strconv.Atoi(p); err == nil && i > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// maxLoc bounds the location reported for a deeply nested value.
const maxLoc = 8

// jsonError turns a syntax or shape error into a 422.
func jsonError(err error) error {
	var se *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &se):
		loc := pointerLoc(se.JSONPointer)
		if len(loc) == 1 {
			return bodyErr("the body must be a JSON object", "type_error.dict")
		}
		return domain.InvalidFields(domain.FieldError{Loc: loc, Msg: locName(loc[1:]) + " has the wrong type", Type: "type_error"})
	case errors.As(err, &syn):
		loc := pointerLoc(syn.JSONPointer)
		var msg string
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			msg = fmt.Sprintf("field %q appears more than once", truncate(locName(loc[1:]), 100))
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			msg = "the body is not valid JSON: it ends too early"
		case len(loc) > maxLoc:
			msg = "the body is nested too deeply"
			loc = loc[:maxLoc]
		default:
			msg = fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.ByteOffset)
		}
		return domain.InvalidFields(domain.FieldError{Loc: loc, Msg: msg, Type: "value_error.jsondecode"})
	}
	return bodyErr("the body is not valid JSON", "value_error.jsondecode")
}

func pointerLoc(p jsontext.Pointer) []string {
	loc := []string{"body"}
	for tok := range p.Tokens() {
		loc = append(loc, truncate(tok, 100))
	}
	return loc
}

// typeErrorName is the "type" of a wrong-type field error, in the
// existing deployment's naming (type_error.str, type_error.bool, ...).
func typeErrorName(t reflect.Type, element bool) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if element && t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "type_error.str"
	case reflect.Bool:
		return "type_error.bool"
	case reflect.Slice:
		return "type_error.list"
	case reflect.Int, reflect.Int64:
		return "type_error.integer"
	}
	return "type_error"
}

// describeType says what a field must be, for its message.
func describeType(t reflect.Type, element bool) string {
	if element && (t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describeType(t.Elem(), false), "a ") + "s"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Pointer:
		return describeType(t.Elem(), element)
	}
	return "of another type"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
