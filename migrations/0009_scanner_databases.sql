-- The scanners' own vulnerability databases as ScanHub last saw them (Xray DB sync status per JFrog
-- instance), so verdicts can say how old the data behind them is.
CREATE TABLE scanner_databases (
  tool          text NOT NULL,
  instance      text NOT NULL,
  last_updated  timestamptz,
  state         text,
  sync_mode     text,
  detail        jsonb NOT NULL DEFAULT '{}',
  checked_at    timestamptz NOT NULL,
  PRIMARY KEY (tool, instance)
);
