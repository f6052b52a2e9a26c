package auth_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/nmdc-runtime/server/auth"
	"github.com/nmdc-runtime/server/internal/testfixtures"
)

// TestBcrypt2bVectors: hashes made by another implementation (libxcrypt,
// the "$2b$" prefix of the existing deployment's hashes) verify unchanged,
// and a wrong password never does.
func TestBcrypt2bVectors(t *testing.T) {
	b, err := os.ReadFile(testfixtures.Path(t, "bcrypt-2b-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Password string `json:"password"`
		Hash     string `json:"hash"`
	}
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatalf("bcrypt-2b-vectors.json: %v", err)
	}
	var sawEmpty, saw72 bool
	for _, v := range vectors {
		sawEmpty = sawEmpty || v.Password == ""
		saw72 = saw72 || len(v.Password) == 72
		t.Run(v.Hash[:7]+" "+v.Password, func(t *testing.T) {
			t.Parallel()
			if err := auth.VerifyPassword(v.Hash, v.Password); err != nil {
				t.Fatalf("VerifyPassword(%q, %q) = %v, want nil", v.Hash, v.Password, err)
			}
			// Imported site-client secrets are bcrypt hashes too.
			if err := auth.VerifySecret(v.Hash, v.Password); err != nil {
				t.Fatalf("VerifySecret(%q, %q) = %v, want nil", v.Hash, v.Password, err)
			}
			// A wrong password: one byte changed (for the 72-byte one, the
			// last byte bcrypt reads), or one byte more in front. bcrypt
			// reads only the first 72 bytes of a password in every
			// implementation, so a byte appended to the 72-byte password
			// would not make it a different password to bcrypt.
			wrong := []string{"x" + v.Password, "x"}
			if n := len(v.Password); n > 0 {
				b := []byte(v.Password)
				b[n-1] ^= 1
				wrong[1] = string(b)
			}
			for _, w := range wrong {
				if err := auth.VerifyPassword(v.Hash, w); !errors.Is(err, auth.ErrMismatch) {
					t.Errorf("VerifyPassword(%q, %q) = %v, want ErrMismatch", v.Hash, w, err)
				}
			}
			if err := auth.VerifySecret(v.Hash, wrong[1]); !errors.Is(err, auth.ErrMismatch) {
				t.Errorf("VerifySecret(%q, %q) = %v, want ErrMismatch", v.Hash, wrong[1], err)
			}
		})
	}
	if !sawEmpty || !saw72 {
		t.Fatalf("the vectors lack the empty (%v) or the 72-byte (%v) password", sawEmpty, saw72)
	}
}
