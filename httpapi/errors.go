package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/nmdc-runtime/server/domain"
)

// errorBody is the body of every error but validation errors.
type errorBody struct {
	Detail string `json:"detail"`
}

// validationBody is the body of a 422: one entry per invalid field.
type validationBody struct {
	Detail []domain.FieldError `json:"detail"`
}

var kindStatus = map[domain.Kind]int{
	domain.NotFound:        http.StatusNotFound,
	domain.Conflict:        http.StatusConflict,
	domain.Invalid:         http.StatusUnprocessableEntity,
	domain.Unauthenticated: http.StatusUnauthorized,
	domain.Forbidden:       http.StatusForbidden,
	domain.Throttled:       http.StatusTooManyRequests,
	domain.Unavailable:     http.StatusServiceUnavailable,
	domain.Gone:            http.StatusGone,
	domain.TooLarge:        http.StatusRequestEntityTooLarge,
	kindUnsupportedMedia:   http.StatusUnsupportedMediaType,
	kindBadRequest:         http.StatusBadRequest,
	kindMethodNotAllowed:   http.StatusMethodNotAllowed,
}

// Kinds that only the HTTP layer produces.
const (
	kindUnsupportedMedia domain.Kind = 100 + iota
	kindBadRequest
	kindMethodNotAllowed
)

// writeError is the one place where an error becomes a response. Errors
// without a kind are internal: the client gets a generic message with the
// request id, the log gets the cause.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var de *domain.Error
	if !errors.As(err, &de) || kindStatus[de.Kind] == 0 {
		s.log.Error("internal error", "request_id", requestID(r.Context()), "route", r.Pattern, "error", err.Error())
		writeJSON(w, http.StatusInternalServerError, errorBody{Detail: "Internal server error (request id " + requestID(r.Context()) + ")"})
		return
	}
	status := kindStatus[de.Kind]
	switch de.Kind {
	case domain.Unauthenticated:
		w.Header().Set("WWW-Authenticate", "Bearer")
	case domain.Throttled:
		if de.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(de.RetryAfter))
		}
	case domain.Unavailable:
		w.Header().Set("Retry-After", "5")
		if de.Cause != nil {
			s.log.Warn("unavailable", "request_id", requestID(r.Context()), "error", de.Cause.Error())
		}
	case domain.Invalid:
		if len(de.Fields) > 0 {
			writeJSON(w, status, validationBody{Detail: de.Fields})
			return
		}
	}
	writeJSON(w, status, errorBody{Detail: de.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
