package domain

import "testing"

func TestValidateUsernameRefusesInvisibleCharacters(t *testing.T) {
	for _, name := range []string{"ad\u200bmin", "\u202eadmin", "admin\u2060", "ad\u00admin", "\ufeffadmin"} {
		if ValidateUsername(name) == nil {
			t.Errorf("%q accepted", name)
		}
	}
	for _, name := range []string{"admin", "0000-0002-1825-0097", "日本語", "a.b_c-d"} {
		if fe := ValidateUsername(name); fe != nil {
			t.Errorf("%q refused: %s", name, fe.Msg)
		}
	}
}
