package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/nmdc-runtime/server/domain"
)

type auditEventOut struct {
	ID         string `json:"id"`
	Time       string `json:"time"`
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	Target     string `json:"target"`
	SourceAddr string `json:"source_addr"`
	Detail     string `json:"detail"`
}

func newAuditEventOut(e domain.AuditEvent) auditEventOut {
	return auditEventOut{ID: e.ID, Time: e.Time.UTC().Format(time.RFC3339Nano), Actor: e.Actor, Action: e.Action,
		Target: e.Target, SourceAddr: e.SourceAddr, Detail: e.Detail}
}

// listAudit is GET /admin/audit?actor=&action=&max_page_size=&page_token=,
// newest first, for runtime admins.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	size, tok, err := pageParams(r)
	if err != nil {
		return err
	}
	q, _ := url.ParseQuery(r.URL.RawQuery) // pageParams refused a malformed one
	page, err := s.svc.ListAuditEvents(r.Context(), p, q.Get("actor"), q.Get("action"), size, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListOut(page, newAuditEventOut))
	return nil
}
