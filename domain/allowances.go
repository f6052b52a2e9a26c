package domain

import (
	"context"
	"slices"
	"strings"
)

// ListAllowances returns one page of allowances, optionally filtered by
// username and action; holders of ActionAdminAllowances only.
func (s *Service) ListAllowances(ctx context.Context, p Principal, username, action string, pageSize int, pageToken string) (Page[Allowance], error) {
	if err := s.requireAllowance(ctx, p, ActionAdminAllowances); err != nil {
		return Page[Allowance]{}, err
	}
	if action != "" && !slices.Contains(AllActions, action) {
		return Page[Allowance]{}, InvalidFields(FieldError{Loc: []string{"query", "action"}, Msg: "action must be one of " + strings.Join(AllActions, ", "), Type: "type_error.enum"})
	}
	f, err := listFilter(pageSize, pageToken)
	if err != nil {
		return Page[Allowance]{}, err
	}
	return s.Store.ListAllowances(ctx, AllowanceFilter{Username: username, Action: action, ListFilter: f})
}

// ListActions returns the allowance actions, sorted; holders of
// ActionAdminAllowances only.
func (s *Service) ListActions(ctx context.Context, p Principal) ([]string, error) {
	if err := s.requireAllowance(ctx, p, ActionAdminAllowances); err != nil {
		return nil, err
	}
	out := slices.Clone(AllActions)
	slices.Sort(out)
	return out, nil
}

func validateAllowance(loc string, a Allowance) error { // for new allowances
	var fields []FieldError
	if a.Username == "" {
		fields = append(fields, FieldError{Loc: []string{loc, "username"}, Msg: "field required", Type: "value_error.missing"})
	}
	switch {
	case a.Action == "":
		fields = append(fields, FieldError{Loc: []string{loc, "action"}, Msg: "field required", Type: "value_error.missing"})
	case !slices.Contains(AllActions, a.Action):
		fields = append(fields, FieldError{Loc: []string{loc, "action"}, Msg: "action must be one of " + strings.Join(AllActions, ", "), Type: "type_error.enum"})
	}
	if len(fields) > 0 {
		return InvalidFields(fields...)
	}
	return nil
}

// CreateAllowance grants an existing user an action; holders of
// ActionAdminAllowances only.
func (s *Service) CreateAllowance(ctx context.Context, p Principal, a Allowance) error {
	if err := s.requireAllowance(ctx, p, ActionAdminAllowances); err != nil {
		return err
	}
	if err := validateAllowance("body", a); err != nil {
		return err
	}
	// A grant to a name that does not exist yet would pass to whoever is
	// later created under it.
	if _, err := s.Store.GetUser(ctx, a.Username); err != nil {
		return err
	}
	err := s.Store.CreateAllowance(ctx, a)
	if IsKind(err, Conflict) {
		return Errorf(Conflict, "Allowance already exists for user %q and action %q", a.Username, a.Action)
	}
	if err == nil {
		s.Audit(ctx, p.Name(), AuditAllowanceGranted, "user:"+a.Username, a.Action)
	}
	return err
}

// DeleteAllowance revokes an allowance; holders of ActionAdminAllowances
// only. Revoking the only holder of ActionAdminAllowances is a Conflict.
func (s *Service) DeleteAllowance(ctx context.Context, p Principal, a Allowance) error {
	if err := s.requireAllowance(ctx, p, ActionAdminAllowances); err != nil {
		return err
	}
	// Any action name may be deleted, so that allowances imported with
	// names this server does not know can still be revoked.
	var fields []FieldError
	if a.Username == "" {
		fields = append(fields, FieldError{Loc: []string{"query", "username"}, Msg: "field required", Type: "value_error.missing"})
	}
	if a.Action == "" {
		fields = append(fields, FieldError{Loc: []string{"query", "action"}, Msg: "field required", Type: "value_error.missing"})
	}
	if len(fields) > 0 {
		return InvalidFields(fields...)
	}
	// The store refuses, atomically, to revoke the last holder of
	// ActionAdminAllowances: no one could grant allowances again.
	err := s.Store.DeleteAllowance(ctx, a)
	if err == nil {
		s.Audit(ctx, p.Name(), AuditAllowanceRevoked, "user:"+a.Username, a.Action)
	}
	if IsKind(err, NotFound) {
		return Errorf(NotFound, "No allowance found for user %q and action %q", a.Username, a.Action)
	}
	return err
}
