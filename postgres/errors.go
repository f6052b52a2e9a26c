package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/nmdc-runtime/server/domain"
)

// SQLSTATE codes the store acts on
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCharNotInRepertoire = "22021" // NUL or invalid UTF-8 in text
	codeUntranslatableChar  = "22P05"
	codeProgramLimit        = "54000" // e.g. a key too long for its index
	codeQueryCanceled       = "57014" // statement_timeout
	codeLockNotAvailable    = "55P03"
	codeSerialization       = "40001"
	codeDeadlock            = "40P01"
	codeAdminShutdown       = "57P01"
	codeCrashShutdown       = "57P02"
	codeCannotConnectNow    = "57P03"
	codeReadOnlyTx          = "25006" // a replica, or a primary being demoted
)

// pgCode returns the SQLSTATE of a server error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// constraint returns the constraint a server error names, or "".
func constraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

func errUnavailable(cause error) error {
	return &domain.Error{Kind: domain.Unavailable, Message: "The database is unavailable", Cause: cause}
}

// unreachable reports whether err means the database could not be reached
// or did not answer in time: the connection failed or broke, the pool was
// closed, or a deadline passed.
func unreachable(err error) bool {
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) ||
		pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, puddle.ErrClosedPool) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.As(err, &ne)
}

// translate gives driver errors that a caller can act on a domain kind, by
// SQLSTATE code and error type, never by message text. Methods map the
// violations whose meaning they know (which key conflicted, which row was
// missing) before calling it; the generic mappings here are a fallback.
// Errors that remain unkinded are bugs: the HTTP layer logs them and shows
// a generic 500.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	code := pgCode(err)
	switch {
	case code == codeUniqueViolation:
		return &domain.Error{Kind: domain.Conflict, Message: "The record already exists", Cause: err}
	case code == codeForeignKeyViolation:
		return &domain.Error{Kind: domain.NotFound, Message: "A record it refers to does not exist", Cause: err}
	case code == codeCharNotInRepertoire || code == codeUntranslatableChar:
		return &domain.Error{Kind: domain.Invalid, Message: "The request holds text the database cannot store (a NUL character or invalid UTF-8)", Cause: err}
	case code == codeProgramLimit:
		return &domain.Error{Kind: domain.Invalid, Message: "A value in the request is too long to store", Cause: err}
	case code == codeSerialization || code == codeDeadlock || code == codeLockNotAvailable:
		return &domain.Error{Kind: domain.Unavailable, Message: "The database is busy; try again", Cause: err}
	case strings.HasPrefix(code, "08"), // connection exception
		strings.HasPrefix(code, "53"), // insufficient resources, too many connections
		code == codeQueryCanceled, code == codeAdminShutdown, code == codeCrashShutdown,
		code == codeCannotConnectNow, code == codeReadOnlyTx,
		// The database refuses connections (ALTER DATABASE … ALLOW_CONNECTIONS
		// false), is gone, refuses our role, or the server itself failed:
		// nothing the client can fix, and it may pass.
		code == "55000", code == "3D000", strings.HasPrefix(code, "28"), strings.HasPrefix(code, "58"):
		return errUnavailable(err)
	case code == "" && unreachable(err):
		return errUnavailable(err)
	}
	return err
}
