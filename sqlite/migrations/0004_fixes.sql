-- Site ids unique after ASCII case folding, revocable share links.

-- FoldSiteID(id): refuses look-alike sites such as "ALICE-LAB" beside
-- "alice-lab". Sites that already collide keep their ids; only the first
-- (by id) of each group holds the folded form, so none can be added to it.
ALTER TABLE sites ADD COLUMN fold_id TEXT;
UPDATE sites SET fold_id = lower(id)
 WHERE NOT EXISTS (SELECT 1 FROM sites o WHERE lower(o.id) = lower(sites.id) AND o.id < sites.id);
CREATE UNIQUE INDEX sites_fold_id ON sites (fold_id);

-- The reservation rule compares site_admin ids after folding too.
CREATE INDEX site_admins_by_fold ON site_admins (lower(site_id));

-- A link is revoked when the password or client secret it reveals is
-- replaced, or its client deleted, before it is opened.
ALTER TABLE share_links ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
CREATE INDEX share_links_by_username ON share_links (username) WHERE username <> '';
CREATE INDEX share_links_by_client ON share_links (client_id) WHERE client_id <> '';
CREATE INDEX share_links_by_expiry ON share_links (expires_at);
