package httpapi

import (
	"net/http"

	"github.com/nmdc-runtime/server/domain"
)

type capabilityOut struct {
	ID          string  `json:"id"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	CreatedAt   string  `json:"created_at"`
}

func newCapabilityOut(c domain.Capability) capabilityOut {
	out := capabilityOut{ID: c.ID, CreatedAt: timeText(c.CreatedAt)}
	if c.Name != "" {
		out.Name = &c.Name
	}
	if c.Description != "" {
		out.Description = &c.Description
	}
	return out
}

// listCapabilities is GET /capabilities.
func (s *Server) listCapabilities(w http.ResponseWriter, r *http.Request) error {
	size, tok, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := s.svc.ListCapabilities(r.Context(), size, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newListOut(page, newCapabilityOut))
	return nil
}

// getCapability is GET /capabilities/{capability_id}.
func (s *Server) getCapability(w http.ResponseWriter, r *http.Request) error {
	c, err := s.svc.GetCapability(r.Context(), r.PathValue("capability_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newCapabilityOut(c))
	return nil
}
