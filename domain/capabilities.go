package domain

import "context"

// GetCapability returns a capability; anyone may.
func (s *Service) GetCapability(ctx context.Context, id string) (Capability, error) {
	return s.Store.GetCapability(ctx, id)
}

// ListCapabilities returns one page of capabilities ordered by id.
func (s *Service) ListCapabilities(ctx context.Context, pageSize int, pageToken string) (Page[Capability], error) {
	f, err := listFilter(pageSize, pageToken)
	if err != nil {
		return Page[Capability]{}, err
	}
	return s.Store.ListCapabilities(ctx, f)
}
