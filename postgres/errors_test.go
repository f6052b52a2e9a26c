package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/nmdc-runtime/server/domain"
)

func TestTranslate(t *testing.T) {
	pg := func(code string) error {
		return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code, Message: "whatever the server says"})
	}
	cases := []struct {
		name string
		err  error
		want domain.Kind
	}{
		{"unique violation", pg("23505"), domain.Conflict},
		{"foreign key violation", pg("23503"), domain.NotFound},
		{"invalid UTF-8", pg("22021"), domain.Invalid},
		{"value too long for an index", pg("54000"), domain.Invalid},
		{"statement timeout", pg("57014"), domain.Unavailable},
		{"too many connections", pg("53300"), domain.Unavailable},
		{"admin shutdown", pg("57P01"), domain.Unavailable},
		{"starting up", pg("57P03"), domain.Unavailable},
		{"connection failure", pg("08006"), domain.Unavailable},
		{"read-only replica", pg("25006"), domain.Unavailable},
		{"serialization failure", pg("40001"), domain.Unavailable},
		{"connect error", &pgconn.ConnectError{}, domain.Unavailable},
		{"connection broke", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), domain.Unavailable},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, domain.Unavailable},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), domain.Unavailable},
		{"pool closed", puddle.ErrClosedPool, domain.Unavailable},
		{"conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), domain.Unavailable},
		{"a domain error keeps its kind", domain.Errorf(domain.Forbidden, "no"), domain.Forbidden},
		{"syntax error is a bug", pg("42601"), domain.KindInternal},
		{"anything else is a bug", errors.New("scan: cannot assign"), domain.KindInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err)
			if k := domain.KindOf(got); k != tc.want {
				t.Errorf("kind %d, want %d", k, tc.want)
			}
			if tc.want == domain.Unavailable && domain.KindOf(tc.err) != domain.Unavailable {
				var de *domain.Error
				errors.As(got, &de)
				if de.Message != "The database is unavailable" && de.Message != "The database is busy; try again" {
					t.Errorf("message %q", de.Message)
				}
				if !errors.Is(got, tc.err) {
					t.Error("the cause is not kept for the log")
				}
			}
		})
	}
	if translate(nil) != nil {
		t.Error("translate(nil) is not nil")
	}
}
