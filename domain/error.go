package domain

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that transports can map it to a status.
type Kind int

// Error kinds. Anything that is not a *Error is an internal failure.
const (
	KindInternal Kind = iota
	NotFound
	Conflict
	Invalid
	Unauthenticated
	Forbidden
	Throttled
	Unavailable
	Gone
	TooLarge
)

// FieldError names one invalid field of a request, in the shape of the
// existing deployment's validation errors.
type FieldError struct {
	Loc  []string `json:"loc"`
	Msg  string   `json:"msg"`
	Type string   `json:"type"`
}

// Error is an error a person can act on.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError // for Invalid
	// RetryAfter, in seconds, for Throttled.
	RetryAfter int
	// Cause is kept for logs only; it is never shown to a client.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Message + ": " + e.Cause.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// InvalidFields returns an Invalid error listing each field problem.
func InvalidFields(fields ...FieldError) *Error {
	msg := "the request is invalid"
	if len(fields) > 0 {
		msg = fields[0].Msg
	}
	return &Error{Kind: Invalid, Message: msg, Fields: fields}
}

// BodyField builds a FieldError located in the request body.
func BodyField(name, msg, typ string) FieldError {
	return FieldError{Loc: []string{"body", name}, Msg: msg, Type: typ}
}

// KindOf returns the kind of err, KindInternal when it has none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err has kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }
