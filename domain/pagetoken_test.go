package domain

import (
	"encoding/base64"
	"testing"
)

func TestPageTokenRoundTrip(t *testing.T) {
	for _, key := range []string{"a", "lab-a", "Zoë", "数据", "x y"} {
		got, err := DecodePageToken(EncodePageToken(key))
		if err != nil || got != key {
			t.Errorf("round trip of %q: got %q, %v", key, got, err)
		}
	}
}

// Tokens this server never issues are Invalid naming page_token, before
// they reach a store (PostgreSQL cannot compare NUL or invalid UTF-8).
func TestDecodePageTokenRefuses(t *testing.T) {
	raw := base64.RawURLEncoding.EncodeToString
	cases := []struct{ name, tok string }{
		{"not base64", "%%%"},
		{"padded base64", raw([]byte("ab")) + "=="},
		{"empty key", raw(nil) + "A"},
		{"invalid UTF-8", raw([]byte{0xff, 0xfe})},
		{"NUL byte", raw([]byte("\"a\\u0000b\""))},
		{"garbage", "garbage"},
		{"a bare key, not issued here", raw([]byte("lab-a"))},
		{"JSON but not a string", raw([]byte(`["lab",1]`))},
		{"empty JSON string", raw([]byte(`""`))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePageToken(tc.tok)
			e, ok := err.(*Error)
			if !ok || e.Kind != Invalid || len(e.Fields) != 1 || e.Fields[0].Loc[1] != "page_token" {
				t.Errorf("DecodePageToken(%q) = %v, want Invalid naming page_token", tc.tok, err)
			}
		})
	}
}
