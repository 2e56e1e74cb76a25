-- Where a submission came from when no pipeline sent it: the pushed image (repository, name, tag,
-- digest) and the integration that reported it, so a verdict names exactly what was scanned.
ALTER TABLE submissions ADD COLUMN source jsonb;
