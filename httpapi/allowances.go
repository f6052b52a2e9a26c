package httpapi

import (
	"net/http"

	"github.com/nmdc-runtime/server/domain"
)

type allowanceOut struct {
	Username string `json:"username"`
	Action   string `json:"action"`
}

func newAllowanceOut(a domain.Allowance) allowanceOut { return allowanceOut(a) }

// allowanceIn is the body of POST /admin/allowances: the same fields as
// allowanceOut, but a new allowance names a known action, while a listed
// one may carry an imported action name.
type allowanceIn allowanceOut

// listAllowances is GET /admin/allowances[?username=&action=].
func (s *Server) listAllowances(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	size, tok, err := pageParams(r)
	if err != nil {
		return err
	}
	q, _ := queryValues(r) // pageParams has checked it already
	page, err := s.svc.ListAllowances(r.Context(), p, q.Get("username"), q.Get("action"), size, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListOut(page, newAllowanceOut))
	return nil
}

// createAllowance is POST /admin/allowances.
func (s *Server) createAllowance(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	var in allowanceIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.svc.CreateAllowance(r.Context(), p, domain.Allowance(in)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, allowanceOut(in))
	return nil
}

// deleteAllowance is DELETE /admin/allowances?username=&action=, as in the
// existing deployment.
func (s *Server) deleteAllowance(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	q, err := queryValues(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteAllowance(r.Context(), p, domain.Allowance{Username: q.Get("username"), Action: q.Get("action")}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listActions is GET /admin/allowances/actions: a JSON array of the action
// names, as in the existing deployment.
func (s *Server) listActions(w http.ResponseWriter, r *http.Request, p domain.Principal) error {
	actions, err := s.svc.ListActions(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, actions)
	return nil
}
