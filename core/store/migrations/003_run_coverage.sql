-- Mapping coverage: per entity, how many records a run emitted and how many of them filled each
-- canonical field path (paths and counts only, never values). NULL for a run that emitted nothing,
-- for one still running, and for every run from before this migration.
ALTER TABLE runs ADD COLUMN coverage jsonb;
-- "The last N runs of a connector that counted records", without walking its empty runs.
CREATE INDEX runs_connector_coverage ON runs (connector_id, seq) WHERE coverage IS NOT NULL;
