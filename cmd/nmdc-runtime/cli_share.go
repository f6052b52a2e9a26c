package main

import (
	"fmt"
	"strings"
)

func cmdShareOpen(c *cli, args []string) error {
	fs := c.flags("share open", "[LINK | -]",
		"Open a one-time link (a URL, or the token at its end) and print the secret it holds.\n"+
			"Without LINK, or with -, the link is read from stdin (asked for without echo on a\n"+
			"terminal), which keeps it out of the process list and the shell history.\n"+
			"A link opens once: afterwards the server answers 410 Gone.")
	pos, err := c.parseAtLeast(fs, args, 0, "LINK")
	if err != nil {
		return err
	}
	var link string
	if len(pos) == 1 && pos[0] != "-" {
		link = pos[0]
	} else if link, err = c.secrets.read("one-time link"); err != nil {
		return err
	}
	link = strings.TrimSpace(link)
	cl, err := c.anonymous()
	if err != nil {
		return err
	}
	s, err := cl.OpenShare(c.ctx, link)
	if err != nil {
		return apiError(err)
	}
	if c.json {
		return c.printJSON(s)
	}
	var pairs [][2]string
	for _, p := range [][2]string{
		{"username", s.Username}, {"password", s.Password},
		{"site", s.SiteID}, {"client_id", s.ClientID}, {"client_secret", s.ClientSecret},
	} {
		if p[1] != "" {
			pairs = append(pairs, p)
		}
	}
	if err := c.fields(pairs...); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, "\nThe link is now used up: store the secret like a password.")
	return nil
}
