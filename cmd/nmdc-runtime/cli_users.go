package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/nmdc-runtime/server/client"
)

func (c *cli) showUser(u client.User) error {
	return c.fields(
		[2]string{"username", u.Username},
		[2]string{"email", deref(u.Email)},
		[2]string{"full name", deref(u.FullName)},
		[2]string{"site admin", strings.Join(u.SiteAdmin, ", ")},
		[2]string{"disabled", yesNo(u.Disabled)},
	)
}

func cmdUsersCreate(c *cli, args []string) error {
	fs := c.flags("users create", "USERNAME [flags]",
		"Create a user (runtime admins only). Without --with-password the server generates a strong\n"+
			"password and returns a one-time link that shows it once: send the link to the new user.")
	email := fs.String("email", "", "email address")
	fullName := fs.String("full-name", "", "full name")
	sites := newListFlag(fs, "site-admin", "a site the user administers (repeat, or separate with commas)")
	disabled := fs.Bool("disabled", false, "create the account disabled")
	withPW := fs.Bool("with-password", false, "choose the password: asked for, or read from stdin")
	pos, err := c.parse(fs, args, "USERNAME")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	in := client.NewUser{Username: pos[0], Email: *email, FullName: *fullName, SiteAdmin: *sites.vals, Disabled: *disabled}
	if *withPW {
		if in.Password, err = c.secrets.readNew("password for " + pos[0]); err != nil {
			return err
		}
	}
	u, err := cl.CreateUser(c.ctx, in)
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(u)
	}
	fmt.Fprintf(c.stdout, "Created user %s.\n", u.Username)
	if err := c.showUser(u); err != nil {
		return err
	}
	c.printShareLink(u.ShareURL, u.ShareExpiresAt, "the password of "+u.Username)
	return nil
}

// printShareLink shows a one-time link and how to open it.
func (c *cli) printShareLink(link string, expires *string, what string) {
	if link == "" {
		return
	}
	fmt.Fprintf(c.stdout, "\nOne-time link to %s (it opens once", what)
	if expires != nil && *expires != "" {
		fmt.Fprintf(c.stdout, ", until %s", *expires)
	}
	fmt.Fprintf(c.stdout, "):\n\n    %s\n\nSend it to its owner, who opens it in a browser or with:\n    nmdc-runtime share open    (then paste the link; it stays out of the shell history)\n", link)
}

func cmdUsersResetPassword(c *cli, args []string) error {
	fs := c.flags("users reset-password", "USERNAME",
		"Give a user a new generated password (runtime admins only) and print a one-time link that\n"+
			"shows it once. The user's earlier tokens stop working.")
	pos, err := c.parse(fs, args, "USERNAME")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	r, err := cl.ResetPassword(c.ctx, pos[0])
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(r)
	}
	fmt.Fprintf(c.stdout, "Reset the password of %s.\n", r.Username)
	c.printShareLink(r.ShareURL, r.ShareExpiresAt, "the new password of "+r.Username)
	return nil
}

func cmdUsersList(c *cli, args []string) error {
	fs := c.flags("users list", "", "List every user, by username (runtime admins only).")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	users, err := cl.AllUsers(c.ctx)
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(nonNil(users))
	}
	rows := make([][]string, len(users))
	for i, u := range users {
		rows[i] = []string{u.Username, deref(u.Email), deref(u.FullName), strings.Join(u.SiteAdmin, ","), yesNo(u.Disabled)}
	}
	return c.table([]string{"USERNAME", "EMAIL", "FULL NAME", "SITE ADMIN", "DISABLED"}, rows)
}

func cmdUsersShow(c *cli, args []string) error {
	fs := c.flags("users show", "USERNAME", "Show one user (runtime admins only).")
	pos, err := c.parse(fs, args, "USERNAME")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	u, err := cl.GetUser(c.ctx, pos[0])
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(u)
	}
	return c.showUser(u)
}

func cmdUsersUpdate(c *cli, args []string) error {
	fs := c.flags("users update", "USERNAME [flags]",
		"Change a user (runtime admins only); only the flags given change anything.")
	email := fs.String("email", "", "new email address (\"\" clears it)")
	fullName := fs.String("full-name", "", "new full name (\"\" clears it)")
	sites := newListFlag(fs, "site-admin", "replace the sites the user administers (repeat, or separate with commas)")
	add := newListFlag(fs, "add-site-admin", "add sites the user administers")
	remove := newListFlag(fs, "remove-site-admin", "remove sites the user administers")
	password := fs.Bool("password", false, "set a new password: asked for, or read from stdin")
	pos, err := c.parse(fs, args, "USERNAME")
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	in := client.UserUpdate{Username: pos[0]}
	if set["email"] {
		in.Email = email
	}
	if set["full-name"] {
		in.FullName = fullName
	}
	if set["site-admin"] && (add.set || remove.set) {
		return &usageError{msg: "users update: give --site-admin, or --add-site-admin/--remove-site-admin, not both"}
	}
	if !set["email"] && !set["full-name"] && !sites.set && !add.set && !remove.set && !*password {
		fs.Usage()
		return &usageError{msg: "users update: nothing to change; give at least one flag"}
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	if sites.set {
		in.SiteAdmin = sites.vals
	}
	if add.set || remove.set {
		cur, err := cl.GetUser(c.ctx, pos[0])
		if err != nil {
			return apiError(err)
		}
		next := slices.Clone(cur.SiteAdmin)
		for _, s := range *add.vals {
			if !slices.Contains(next, s) {
				next = append(next, s)
			}
		}
		next = slices.DeleteFunc(next, func(s string) bool { return slices.Contains(*remove.vals, s) })
		if next == nil {
			next = []string{}
		}
		in.SiteAdmin = &next
	}
	if *password {
		pw, err := c.secrets.readNew("new password for " + pos[0])
		if err != nil {
			return err
		}
		in.Password = &pw
	}
	return c.updateUser(cl, in, "Updated user %s.\n")
}

func (c *cli) updateUser(cl *client.Client, in client.UserUpdate, done string) error {
	u, err := cl.UpdateUser(c.ctx, in)
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(u)
	}
	fmt.Fprintf(c.stdout, done, u.Username)
	return c.showUser(u)
}

func cmdUsersDisable(c *cli, args []string) error {
	return setDisabled(c, args, true)
}

func cmdUsersEnable(c *cli, args []string) error {
	return setDisabled(c, args, false)
}

func setDisabled(c *cli, args []string, disabled bool) error {
	name, help, done := "users enable", "Enable a disabled user again (runtime admins only).", "Enabled user %s.\n"
	if disabled {
		name, help, done = "users disable", "Disable a user (runtime admins only): the user cannot log in, and tokens already issued stop working.", "Disabled user %s.\n"
	}
	fs := c.flags(name, "USERNAME", help)
	pos, err := c.parse(fs, args, "USERNAME")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	return c.updateUser(cl, client.UserUpdate{Username: pos[0], Disabled: &disabled}, done)
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
