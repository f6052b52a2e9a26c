package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
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

// decodeJSON decodes a JSON object body into v strictly: unknown fields,
// duplicate keys, invalid UTF-8 and wrong types are 422s that name the
// field, so that a typo such as "site_admins" is never silently dropped.
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
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return domain.InvalidFields(domain.FieldError{Loc: []string{"body"}, Msg: "a JSON object body is required", Type: "value_error.missing"})
	}
	if !utf8.Valid(body) {
		return domain.InvalidFields(domain.FieldError{Loc: []string{"body"}, Msg: "the body is not valid UTF-8", Type: "value_error.jsondecode"})
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		return jsonError(err)
	}
	return nil
}

// jsonError turns a decoding error into a 422 naming the field.
func jsonError(err error) error {
	var se *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &se):
		loc := pointerLoc(se.JSONPointer)
		name := strings.Join(loc[1:], ".")
		switch {
		case errors.Is(se.Err, json.ErrUnknownName):
			return domain.InvalidFields(domain.FieldError{Loc: loc, Msg: fmt.Sprintf("unknown field %q: check its spelling", truncate(name, 100)), Type: "value_error.extra"})
		case len(loc) == 1:
			return domain.InvalidFields(domain.FieldError{Loc: loc, Msg: "the body must be a JSON object", Type: "type_error.dict"})
		default:
			return domain.InvalidFields(domain.FieldError{Loc: loc, Msg: fmt.Sprintf("%s must be %s", truncate(name, 100), describe(se)), Type: "type_error"})
		}
	case errors.As(err, &syn):
		loc := pointerLoc(syn.JSONPointer)
		msg := "the body is not valid JSON"
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			msg = fmt.Sprintf("field %q appears more than once", truncate(strings.Join(loc[1:], "."), 100))
		case errors.Is(syn.Err, io.ErrUnexpectedEOF):
			msg = "the body is not valid JSON: it ends too early"
		default:
			msg = fmt.Sprintf("the body is not valid JSON (at byte %d)", syn.ByteOffset)
		}
		return domain.InvalidFields(domain.FieldError{Loc: loc, Msg: msg, Type: "value_error.jsondecode"})
	}
	return domain.InvalidFields(domain.FieldError{Loc: []string{"body"}, Msg: "the body is not valid JSON", Type: "value_error.jsondecode"})
}

func pointerLoc(p jsontext.Pointer) []string {
	loc := []string{"body"}
	for tok := range p.Tokens() {
		loc = append(loc, truncate(tok, 100))
	}
	return loc
}

func describe(se *json.SemanticError) string {
	if se.GoType == nil {
		return "of another type"
	}
	switch se.GoType.Kind().String() {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "a list of strings"
	case "int", "int64":
		return "an integer"
	}
	return "of another type"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
