package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Tokens and clients of the existing deployment (FastAPI + python-jose)
// keep working here, and tokens issued here work there, when both share
// JWT_SECRET_KEY.

// existingDeploymentToken builds a token byte for byte as the existing
// deployment does: python-jose's jwt.encode({"sub": ..., "exp": ...}, key,
// algorithm="HS256"), which writes the header with sorted keys and both
// JSON documents without spaces, and exp as integer seconds.
func existingDeploymentToken(key, sub string, exp time.Time) string {
	enc := base64.RawURLEncoding
	subJSON, _ := json.Marshal(sub)
	signingInput := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":%s,"exp":%d}`, subJSON, exp.Unix())))
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(signingInput))
	return signingInput + "." + enc.EncodeToString(mac.Sum(nil))
}

// verifyAsExistingDeployment checks a token by the existing deployment's
// rules: python-jose's jwt.decode(token, key, algorithms=["HS256"]) with
// its default options and no audience or issuer configured, then the
// deployment's own check that sub is "user:..." or "client:...". It
// returns the subject.
func verifyAsExistingDeployment(token, key string, now time.Time) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not enough segments")
	}
	enc := base64.RawURLEncoding
	var header map[string]any
	if b, err := enc.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &header) != nil {
		return "", errors.New("invalid header")
	}
	if header["alg"] != "HS256" {
		return "", fmt.Errorf("the specified alg value %v is not allowed", header["alg"])
	}
	sig, err := enc.DecodeString(parts[2])
	if err != nil {
		return "", errors.New("invalid signature padding")
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return "", errors.New("signature verification failed")
	}
	var claims map[string]any
	b, err := enc.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("invalid payload")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		return "", errors.New("invalid payload string: must be a json object")
	}
	intClaim := func(name string) (int64, bool, error) {
		v, ok := claims[name]
		if !ok {
			return 0, false, nil
		}
		n, isNum := v.(json.Number)
		if !isNum {
			return 0, true, fmt.Errorf("%s must be an integer", name)
		}
		i, err := n.Int64()
		if err != nil {
			// python's int() of a float truncates; accept as jose does.
			f, ferr := n.Float64()
			if ferr != nil {
				return 0, true, fmt.Errorf("%s must be an integer", name)
			}
			i = int64(f)
		}
		return i, true, nil
	}
	if _, _, err := intClaim("iat"); err != nil { // verify_iat: type only
		return "", err
	}
	if nbf, ok, err := intClaim("nbf"); err != nil || (ok && nbf > now.Unix()) {
		return "", fmt.Errorf("the token is not yet valid (nbf): %v", err)
	}
	if exp, ok, err := intClaim("exp"); err != nil || (ok && exp < now.Unix()) {
		return "", fmt.Errorf("signature has expired: %v", err)
	}
	if _, ok := claims["aud"]; ok { // no audience configured: any aud fails
		return "", errors.New("invalid audience")
	}
	if jti, ok := claims["jti"]; ok {
		if _, isStr := jti.(string); !isStr {
			return "", errors.New("JWT ID must be a string")
		}
	}
	// iss is checked only when an issuer is configured; it is not.
	sub, ok := claims["sub"].(string)
	if !ok {
		return "", errors.New("could not validate credentials: no sub")
	}
	if !strings.HasPrefix(sub, "user:") && !strings.HasPrefix(sub, "client:") {
		return "", errors.New("could not validate credentials: sub is neither user: nor client:")
	}
	return sub, nil
}

// TestVerifierOfTheExistingDeployment checks the stand-in verifier itself,
// so that the interoperability test below proves something.
func TestVerifierOfTheExistingDeployment(t *testing.T) {
	now := time.Now()
	good := existingDeploymentToken(testJWTKey, "user:alice", now.Add(time.Hour))
	if sub, err := verifyAsExistingDeployment(good, testJWTKey, now); err != nil || sub != "user:alice" {
		t.Fatalf("a token of the existing deployment: %q, %v", sub, err)
	}
	for name, tok := range map[string]string{
		"other key": existingDeploymentToken("another-key-0123456789abcdef", "user:alice", now.Add(time.Hour)),
		"expired":   existingDeploymentToken(testJWTKey, "user:alice", now.Add(-time.Hour)),
		"odd sub":   existingDeploymentToken(testJWTKey, "alice", now.Add(time.Hour)),
		"with aud":  signClaims(t, `{"sub":"user:alice","exp":9999999999,"aud":"x"}`),
		"jti int":   signClaims(t, `{"sub":"user:alice","exp":9999999999,"jti":7}`),
		"iat text":  signClaims(t, `{"sub":"user:alice","exp":9999999999,"iat":"yesterday"}`),
	} {
		if _, err := verifyAsExistingDeployment(tok, testJWTKey, now); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func signClaims(t *testing.T, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	in := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	mac := hmac.New(sha256.New, []byte(testJWTKey))
	mac.Write([]byte(in))
	return in + "." + enc.EncodeToString(mac.Sum(nil))
}

// TestTokenInteroperability: with the same JWT_SECRET_KEY, tokens built
// exactly as the existing deployment builds them are accepted for imported
// users and clients, and tokens issued here pass the existing deployment's
// checks (our extra iat, jti and iss are harmless there).
func TestTokenInteroperability(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runtime.db")
	mustImportReference(t, db)
	ts := startTest(t, func(c *serveConfig) { c.Database = db })
	exp := time.Now().Add(time.Hour)

	t.Run("tokens of the existing deployment are accepted", func(t *testing.T) {
		tests := []struct {
			name, sub string
			status    int
			want      string
		}{
			{"user", "user:alice_the_admin", 200, `"site_admin":["alice-laptop","nmdc-runtime-useradmin"]`},
			{"ORCID-style user", "user:0000-0002-1825-0097", 200, `"username":"0000-0002-1825-0097"`},
			{"site client", "client:sys0bob00001", 200, `"site_id":"bob-laptop"`},
			{"disabled user", "user:carol_disabled", 401, "disabled"},
			{"unknown user", "user:mallory", 401, "no longer exists"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := send(t, http.MethodGet, ts.URL+"/users/me", bearer(existingDeploymentToken(testJWTKey, tc.sub, exp)), nil)
				if r.Status != tc.status || !strings.Contains(string(r.Body), tc.want) {
					t.Fatalf("status %d, body %s; want %d mentioning %s", r.Status, r.Body, tc.status, tc.want)
				}
			})
		}
		// An imported admin acts with such a token: create a user.
		r := send(t, http.MethodPost, ts.URL+"/users", jsonHeader(existingDeploymentToken(testJWTKey, "user:admin", exp)),
			strings.NewReader(`{"username": "dora", "password": "`+testPassword+`"}`))
		if r.Status != http.StatusCreated {
			t.Fatalf("create user with a token of the existing deployment: %d %s", r.Status, r.Body)
		}
	})

	t.Run("tokens issued here pass the existing deployment's checks", func(t *testing.T) {
		dora := mustLogin(t, ts, "dora", testPassword)
		sub, err := verifyAsExistingDeployment(dora.Token, testJWTKey, time.Now())
		if err != nil || sub != "user:dora" {
			t.Fatalf("user token: %q, %v", sub, err)
		}
		var claims map[string]any
		payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(dora.Token, ".")[1])
		if err := json.Unmarshal(payload, &claims); err != nil {
			t.Fatal(err)
		}
		var names []string
		for k := range claims {
			names = append(names, k)
		}
		slices.Sort(names)
		// sub and exp are what the existing deployment reads; iat, jti and
		// iss are ignored by python-jose when no issuer is configured.
		if !slices.Equal(names, []string{"exp", "iat", "iss", "jti", "sub"}) {
			t.Fatalf("claims = %v", names)
		}

		// dora was made here (low bcrypt cost); a client of her new site.
		mustCreateSite(t, dora, "dora-lab")
		cred := mustCredentials(t, dora, "dora-lab")
		tok, err := ts.client().LoginClient(t.Context(), cred.ClientID, cred.ClientSecret, true)
		if err != nil {
			t.Fatal(err)
		}
		if sub, err := verifyAsExistingDeployment(tok.AccessToken, testJWTKey, time.Now()); err != nil || sub != "client:"+cred.ClientID {
			t.Fatalf("client token: %q, %v", sub, err)
		}
		if _, err := verifyAsExistingDeployment(tok.AccessToken, "another-key-0123456789abcdef", time.Now()); err == nil {
			t.Fatal("a token verified under another key")
		}
	})
}

// TestClientCompatibilityTokenRequests: the token requests that the
// existing deployment's clients send keep working — form fields with
// grant_type for both grants (as python requests' data= sends them),
// HTTP Basic for client credentials (requests' auth=, curl -u), and the
// form the docs page's Authorize dialog sends (empty scope, client_id and
// client_secret beside the password grant) — and every response carries the
// fields those clients read.
func TestClientCompatibilityTokenRequests(t *testing.T) {
	ts := startTest(t)
	admin := mustAdmin(t, ts)
	mustCreateUser(t, admin, "erin")
	mustCreateSite(t, admin, "lab")
	cred := mustCredentials(t, admin, "lab")
	tests := []struct {
		name    string
		form    url.Values
		header  http.Header
		subject string
	}{
		{
			name:    "password grant as form fields",
			form:    url.Values{"grant_type": {"password"}, "username": {"erin"}, "password": {testPassword}},
			subject: "user:erin",
		},
		{
			name:    "password grant as the docs page sends it",
			form:    url.Values{"grant_type": {"password"}, "username": {"erin"}, "password": {testPassword}, "scope": {""}, "client_id": {""}, "client_secret": {""}},
			subject: "user:erin",
		},
		{
			name:    "client credentials as form fields",
			form:    url.Values{"grant_type": {"client_credentials"}, "client_id": {cred.ClientID}, "client_secret": {cred.ClientSecret}},
			subject: "client:" + cred.ClientID,
		},
		{
			name:    "client credentials as HTTP Basic",
			form:    url.Values{"grant_type": {"client_credentials"}},
			header:  basic(cred.ClientID, cred.ClientSecret),
			subject: "client:" + cred.ClientID,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := postForm(t, ts.URL+"/token", tc.form, tc.header)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			// Existing clients read access_token and token_type, and
			// compute the expiry as timedelta(**expires): expires must hold
			// exactly days, hours and minutes, as integers.
			var body struct {
				AccessToken string                     `json:"access_token"`
				TokenType   string                     `json:"token_type"`
				Expires     map[string]json.RawMessage `json:"expires"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("body %s: %v", r.Body, err)
			}
			if body.AccessToken == "" || body.TokenType != "bearer" {
				t.Fatalf("body %s", r.Body)
			}
			var keys []string
			total := time.Duration(0)
			for k, v := range body.Expires {
				keys = append(keys, k)
				var n int64
				if err := json.Unmarshal(v, &n); err != nil {
					t.Fatalf("expires.%s = %s is not an integer", k, v)
				}
				total += time.Duration(n) * map[string]time.Duration{"days": 24 * time.Hour, "hours": time.Hour, "minutes": time.Minute}[k]
			}
			slices.Sort(keys)
			if !slices.Equal(keys, []string{"days", "hours", "minutes"}) || total != 24*time.Hour {
				t.Fatalf("expires = %s, want exactly days/hours/minutes summing to the token lifetime", r.Body)
			}
			if sub, err := verifyAsExistingDeployment(body.AccessToken, testJWTKey, time.Now()); err != nil || sub != tc.subject {
				t.Fatalf("token subject %q, %v", sub, err)
			}
			me := send(t, http.MethodGet, ts.URL+"/users/me", bearer(body.AccessToken), nil)
			if me.Status != http.StatusOK {
				t.Fatalf("/users/me with the token: %d %s", me.Status, me.Body)
			}
		})
	}
}

// TestImportedDisabledUserTokensStayRevoked: a user imported as disabled
// whom an admin enables later logs in afresh; tokens the existing
// deployment issued before the import stay refused.
func TestImportedDisabledUserTokensStayRevoked(t *testing.T) {
	db := filepath.Join(t.TempDir(), "runtime.db")
	mustImportReference(t, db)
	ts := startTest(t, func(c *serveConfig) { c.Database = db })
	old := existingDeploymentToken(testJWTKey, "user:carol_disabled", time.Now().Add(time.Hour))
	u, err := ts.store.GetUser(t.Context(), "carol_disabled")
	if err != nil || !u.Disabled || u.TokensValidAfter.IsZero() {
		t.Fatalf("imported carol = %+v, %v", u, err)
	}
	u.Disabled = false
	if err := ts.store.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	r := send(t, http.MethodGet, ts.URL+"/users/me", bearer(old), nil)
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.detail(t), "revoked") {
		t.Fatalf("a pre-import token of a user imported as disabled: %d %s", r.Status, r.Body)
	}
}
