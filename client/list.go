package client

import "context"

// allPageSize is the page size used when following every page.
const allPageSize = 200

// maxPages bounds how many pages all follows, so that a server that keeps
// answering with a next_page_token cannot loop a client forever.
const maxPages = 10000

func all[T any](ctx context.Context, list func(context.Context, int, string) (List[T], error)) ([]T, error) {
	var out []T
	tok := ""
	for range maxPages {
		page, err := list(ctx, allPageSize, tok)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Resources...)
		if page.NextPageToken == nil || *page.NextPageToken == "" || *page.NextPageToken == tok {
			return out, nil
		}
		tok = *page.NextPageToken
	}
	return out, nil
}
