-- Project tags (team, tier, "internet-facing" …): alert rules and reports select projects by them.
ALTER TABLE projects ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
