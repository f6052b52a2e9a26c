package main

import (
	"fmt"
	"strings"

	"github.com/nmdc-runtime/server/client"
)

func cmdSitesCreate(c *cli, args []string) error {
	fs := c.flags("sites create", "SITE_ID [flags]", "Create a site; you become its admin.")
	caps := newListFlag(fs, "capability", "a capability id of the site (repeat, or separate with commas)")
	pos, err := c.parse(fs, args, "SITE_ID")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	s, err := cl.CreateSite(c.ctx, client.Site{ID: pos[0], CapabilityIDs: *caps.vals})
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(s)
	}
	fmt.Fprintf(c.stdout, "Created site %s; you are its admin.\n", s.ID)
	return nil
}

func cmdSitesList(c *cli, args []string) error {
	fs := c.flags("sites list", "", "List every site, by id.")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	cl, err := c.anonymous()
	if err != nil {
		return err
	}
	sites, err := cl.AllSites(c.ctx)
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(nonNil(sites))
	}
	rows := make([][]string, len(sites))
	for i, s := range sites {
		rows[i] = []string{s.ID, strings.Join(s.CapabilityIDs, ",")}
	}
	return c.table([]string{"ID", "CAPABILITIES"}, rows)
}

func cmdSitesShow(c *cli, args []string) error {
	fs := c.flags("sites show", "SITE_ID", "Show one site.")
	pos, err := c.parse(fs, args, "SITE_ID")
	if err != nil {
		return err
	}
	cl, err := c.anonymous()
	if err != nil {
		return err
	}
	s, err := cl.GetSite(c.ctx, pos[0])
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(s)
	}
	return c.fields([2]string{"id", s.ID}, [2]string{"capabilities", strings.Join(s.CapabilityIDs, ", ")})
}

func cmdSiteAdminsList(c *cli, args []string) error {
	fs := c.flags("sites admins list", "SITE_ID", "List the admins of a site.")
	pos, err := c.parse(fs, args, "SITE_ID")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	admins, err := cl.ListSiteAdmins(c.ctx, pos[0])
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(nonNil(admins))
	}
	rows := make([][]string, len(admins))
	for i, a := range admins {
		rows[i] = []string{a.Username}
	}
	return c.table([]string{"USERNAME"}, rows)
}

func cmdSiteAdminsAdd(c *cli, args []string) error {
	fs := c.flags("sites admins add", "SITE_ID USERNAME", "Make a user an admin of a site (that site's admins only).")
	pos, err := c.parse(fs, args, "SITE_ID", "USERNAME")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	if err := cl.AddSiteAdmin(c.ctx, pos[0], pos[1]); err != nil {
		return apiError(err)
	}
	return c.done(map[string]any{"site_id": pos[0], "username": pos[1], "admin": true}, "%s is now an admin of site %s.\n", pos[1], pos[0])
}

func cmdSiteAdminsRemove(c *cli, args []string) error {
	fs := c.flags("sites admins remove", "SITE_ID USERNAME",
		"Remove a user from a site's admins (that site's admins only; the last admin cannot remove itself).")
	pos, err := c.parse(fs, args, "SITE_ID", "USERNAME")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	if err := cl.RemoveSiteAdmin(c.ctx, pos[0], pos[1]); err != nil {
		return apiError(err)
	}
	return c.done(map[string]any{"site_id": pos[0], "username": pos[1], "admin": false}, "%s is no longer an admin of site %s.\n", pos[1], pos[0])
}

// done reports a change that returns nothing to show.
func (c *cli) done(asJSON any, format string, args ...any) error {
	if c.json {
		return c.printJSON(asJSON)
	}
	fmt.Fprintf(c.stdout, format, args...)
	return nil
}

func (c *cli) showCredentials(cr client.Credentials, siteID string) error {
	if c.json {
		return c.printJSON(cr)
	}
	if cr.ClientSecret == "" {
		if err := c.fields([2]string{"client_id", cr.ClientID}); err != nil {
			return err
		}
		c.printShareLink(cr.ShareURL, cr.ShareExpiresAt, "the secret of client "+cr.ClientID+" of site "+siteID)
		return nil
	}
	if err := c.fields([2]string{"client_id", cr.ClientID}, [2]string{"client_secret", cr.ClientSecret}); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "\nThe secret is shown only this once: store it like a password. Log in as site %s with:\n    nmdc-runtime login --client-id %s\n", siteID, cr.ClientID)
	return nil
}

func cmdSiteClientsGenerate(c *cli, args []string) error {
	fs := c.flags("sites clients generate", "SITE_ID",
		"Generate credentials for a new client of a site (that site's admins only).\nThe secret is printed once.")
	link := fs.Bool("link", false, "print a one-time link that shows the secret, in place of the secret")
	pos, err := c.parse(fs, args, "SITE_ID")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	generate := cl.GenerateCredentials
	if *link {
		generate = cl.GenerateCredentialsLink
	}
	cr, err := generate(c.ctx, pos[0])
	if err != nil {
		return apiError(err)
	}
	return c.showCredentials(cr, pos[0])
}

func cmdSiteClientsList(c *cli, args []string) error {
	fs := c.flags("sites clients list", "SITE_ID", "List the clients of a site (that site's admins only); secrets are never shown.")
	pos, err := c.parse(fs, args, "SITE_ID")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	clients, err := cl.AllSiteClients(c.ctx, pos[0])
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(nonNil(clients))
	}
	rows := make([][]string, len(clients))
	for i, sc := range clients {
		rows[i] = []string{sc.ID, sc.CreatedAt, sc.CreatedBy, deref(sc.LastUsedAt)}
	}
	return c.table([]string{"CLIENT ID", "CREATED", "CREATED BY", "LAST USED"}, rows)
}

func cmdSiteClientsRotate(c *cli, args []string) error {
	fs := c.flags("sites clients rotate", "SITE_ID CLIENT_ID",
		"Give a site's client a new generated secret (that site's admins only). The new secret is\nprinted once; tokens issued with the old one stop working.")
	link := fs.Bool("link", false, "print a one-time link that shows the new secret, in place of the secret")
	pos, err := c.parse(fs, args, "SITE_ID", "CLIENT_ID")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	rotate := cl.RotateSecret
	if *link {
		rotate = cl.RotateSecretLink
	}
	cr, err := rotate(c.ctx, pos[0], pos[1])
	if err != nil {
		return apiError(err)
	}
	if cr.ClientID == "" {
		cr.ClientID = pos[1]
	}
	return c.showCredentials(cr, pos[0])
}

func cmdSiteClientsDelete(c *cli, args []string) error {
	fs := c.flags("sites clients delete", "SITE_ID CLIENT_ID",
		"Delete a site's client (that site's admins only); its tokens stop working at once.")
	pos, err := c.parse(fs, args, "SITE_ID", "CLIENT_ID")
	if err != nil {
		return err
	}
	cl, err := c.authed()
	if err != nil {
		return err
	}
	if err := cl.DeleteSiteClient(c.ctx, pos[0], pos[1]); err != nil {
		return apiError(err)
	}
	return c.done(map[string]any{"site_id": pos[0], "client_id": pos[1], "deleted": true}, "Deleted client %s of site %s.\n", pos[1], pos[0])
}
