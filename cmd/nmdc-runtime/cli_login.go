package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/nmdc-runtime/server/client"
)

func cmdLogin(c *cli, args []string) error {
	fs := c.flags("login", "[USERNAME | --client-id CLIENT_ID]",
		"Log in and keep the token in a file only you can read, under your config directory, one per server.\n"+
			"A user logs in with USERNAME and is asked for the password; a site client logs in with\n"+
			"--client-id and is asked for its secret. When stdin is not a terminal, the password or\n"+
			"secret is read from its first line.")
	clientID := fs.String("client-id", "", "log in as this site client (client-credentials grant)")
	names := []string{"USERNAME"}
	if hasFlag(args, "client-id") {
		names = nil
	}
	pos, err := c.parse(fs, args, names...)
	if err != nil {
		return err
	}
	cl, err := c.anonymous()
	if err != nil {
		return err
	}
	c.warnPlainHTTP(cl.BaseURL)
	saved := savedToken{URL: cl.BaseURL}
	var tok client.Token
	if *clientID != "" {
		secret, err := c.secrets.read("client secret of " + *clientID)
		if err != nil {
			return err
		}
		saved.ClientID = *clientID
		tok, err = cl.LoginClient(c.ctx, *clientID, secret, false)
		if err != nil {
			return err
		}
	} else {
		saved.Username = pos[0]
		pw, err := c.secrets.read("password of " + pos[0] + " at " + cl.BaseURL)
		if err != nil {
			return err
		}
		tok, err = cl.Login(c.ctx, pos[0], pw)
		if err != nil {
			return err
		}
	}
	saved.AccessToken = tok.AccessToken
	if tok.ExpiresIn > 0 {
		saved.ExpiresAt = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second).UTC().Truncate(time.Second)
	}
	st, err := c.tokens()
	if err != nil {
		return err
	}
	path, err := st.save(saved)
	if err != nil {
		return fmt.Errorf("save the token: %w", err)
	}
	if c.json {
		out := map[string]any{"url": saved.URL, "expires_at": saved.ExpiresAt, "token_file": path}
		if saved.ClientID != "" {
			out["client_id"] = saved.ClientID
		} else {
			out["username"] = saved.Username
		}
		return c.printJSON(out)
	}
	fmt.Fprintf(c.stdout, "Logged in to %s as %s until %s.\n", saved.URL, saved.who(), saved.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

// hasFlag reports whether args set the named flag (-name or --name, with
// or without =value), before any "--".
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		for _, p := range []string{"-", "--"} {
			if a == p+name || len(a) > len(p+name) && a[:len(p+name)+1] == p+name+"=" {
				return true
			}
		}
	}
	return false
}

// warnPlainHTTP warns before a password goes over plain HTTP to another
// machine.
func (c *cli) warnPlainHTTP(base string) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" {
		return
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return
	}
	fmt.Fprintf(c.stderr, "warning: %s is plain HTTP: the password and token cross the network unencrypted\n", base)
}

func cmdLogout(c *cli, args []string) error {
	fs := c.flags("logout", "[--force]", "Revoke the token saved for the server (POST /token/revoke) and forget it.\n"+
		"When the server cannot be reached the token is kept (it stays valid), unless --force.")
	force := fs.Bool("force", false, "forget the token even when the server cannot be reached to revoke it")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	base, err := c.serverURL()
	if err != nil {
		return err
	}
	st, err := c.tokens()
	if err != nil {
		return err
	}
	// Revoke first, so that a copy of the token left elsewhere stops
	// working too; an expired or damaged token needs no revocation.
	revoked := false
	if saved, err := st.load(base); err == nil {
		err := client.New(base).Revoke(context.Background(), saved.AccessToken)
		var answered *client.Error
		switch {
		case err != nil && !errors.As(err, &answered) && !*force:
			return fmt.Errorf("%w\nthe token was not revoked and stays valid until %s; it is kept so that you can run logout again (or logout --force to forget it anyway)", connError(base, err), saved.ExpiresAt.UTC().Format(time.RFC3339))
		case err != nil:
			fmt.Fprintf(c.stderr, "warning: could not revoke the token at %s (%v); it stays valid until it expires\n", base, connError(base, err))
		default:
			revoked = true
		}
	}
	had, err := st.remove(base)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(map[string]any{"url": base, "logged_out": had, "revoked": revoked})
	}
	if had {
		fmt.Fprintf(c.stdout, "Logged out of %s.\n", base)
	} else {
		fmt.Fprintf(c.stdout, "Not logged in to %s.\n", base)
	}
	return nil
}

func cmdWhoami(c *cli, args []string) error {
	fs := c.flags("whoami", "", "Show who the saved token belongs to (GET /users/me).")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	me, err := cl.Me(c.ctx)
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(me)
	}
	if me.SiteID != "" {
		return c.fields([2]string{"site client", me.Username}, [2]string{"acts for site", me.SiteID})
	}
	return c.showUser(me)
}

func cmdToken(c *cli, args []string) error {
	fs := c.flags("token", "", "Print the saved bearer token, for example for curl:\n"+
		"  curl -H \"Authorization: Bearer $(nmdc-runtime token)\" "+defaultURL+"/users/me")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	base, err := c.serverURL()
	if err != nil {
		return err
	}
	st, err := c.tokens()
	if err != nil {
		return err
	}
	t, err := st.load(base)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(map[string]any{"access_token": t.AccessToken, "token_type": "bearer", "expires_at": t.ExpiresAt})
	}
	fmt.Fprintln(c.stdout, t.AccessToken)
	return nil
}

func cmdPassword(c *cli, args []string) error {
	fs := c.flags("password", "", "Change your own password. You are asked for the current and the new one (or they are\n"+
		"read from the first two lines of stdin). Your other tokens stop working; the saved one is renewed.")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	st, err := c.tokens()
	if err != nil {
		return err
	}
	saved, err := st.load(cl.BaseURL)
	if err != nil {
		return err
	}
	if saved.Username == "" {
		return fmt.Errorf("logged in as %s: a site client has a secret, not a password (its site's admins rotate it)", saved.who())
	}
	current, err := c.secrets.read("current password of " + saved.Username)
	if err != nil {
		return err
	}
	next, err := c.secrets.readNew("new password")
	if err != nil {
		return err
	}
	tok, err := cl.ChangePassword(c.ctx, current, next)
	if err != nil {
		return apiError(err)
	}
	saved.AccessToken = tok.AccessToken
	if tok.ExpiresIn > 0 {
		saved.ExpiresAt = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second).UTC().Truncate(time.Second)
	}
	if _, err := st.save(saved); err != nil {
		return fmt.Errorf("the password is changed, but saving the new token failed (log in again): %w", err)
	}
	return c.done(map[string]any{"username": saved.Username, "password_changed": true}, "Changed the password of %s; tokens issued before now no longer work.\n", saved.Username)
}
