-- The hub's first schema. One script for PostgreSQL and PGlite.
-- No foreign keys between records, history and the outbox: rows are written together by one
-- statement in one transaction, and a key check per row would slow the ingest path for nothing.

-- Current version of every canonical record, upserted by its natural key.
CREATE TABLE records (
  id               uuid        PRIMARY KEY,          -- UUIDv7 from the store: ordered by creation
  tenant           text        NOT NULL,
  type             text        NOT NULL,
  external_system  text        NOT NULL,
  external_id      text        NOT NULL,
  source_connector text        NOT NULL,
  data             jsonb       NOT NULL,
  hash             text        NOT NULL,             -- sha256 of the canonical JSON of data
  version          integer     NOT NULL,
  first_seen_at    timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT records_natural_key UNIQUE (tenant, type, external_system, external_id)
);
-- Paging by id within a tenant and type, and by type across tenants.
CREATE INDEX records_tenant_type_id ON records (tenant, type, id);
CREATE INDEX records_type_id ON records (type, id);

-- Every version of every record, the first included.
CREATE TABLE record_history (
  record_id        uuid        NOT NULL,
  version          integer     NOT NULL,
  hash             text        NOT NULL,
  data             jsonb       NOT NULL,
  source_connector text        NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (record_id, version)
);

-- The outbox: one row per change, written in the commit that made it, fanned out to routes later.
CREATE TABLE record_events (
  seq              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id         uuid        NOT NULL DEFAULT gen_random_uuid(),
  record_id        uuid        NOT NULL,
  type             text        NOT NULL,
  tenant           text        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('created', 'updated')),
  version          integer     NOT NULL,
  external_system  text        NOT NULL,
  external_id      text        NOT NULL,
  source_connector text        NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  dispatched_at    timestamptz
);
CREATE INDEX record_events_pending ON record_events (seq) WHERE dispatched_at IS NULL;

-- Records that failed validation, kept with their reasons for a person to review.
CREATE TABLE rejected_records (
  seq              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               uuid        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  tenant           text        NOT NULL,
  type             text        NOT NULL,
  source_connector text        NOT NULL,
  external_system  text,
  external_id      text,
  run_id           text,
  reasons          jsonb       NOT NULL,
  data             jsonb       NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_records_tenant_seq ON rejected_records (tenant, seq);
CREATE INDEX rejected_records_connector_seq ON rejected_records (source_connector, seq);

-- Per-connector cursors and the like, committed with the records they cover.
CREATE TABLE sync_state (
  connector_id     text        NOT NULL,
  key              text        NOT NULL,
  value            jsonb       NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector_id, key)
);

-- Inbound files already handled, by content: the same path with new bytes is a new file.
CREATE TABLE file_ledger (
  connector_id     text        NOT NULL,
  path             text        NOT NULL,
  checksum         text        NOT NULL,
  size             bigint      NOT NULL,
  status           text        NOT NULL CHECK (status IN ('processed', 'quarantined')),
  detail           text,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector_id, path, checksum)
);

-- One row per job run.
CREATE TABLE runs (
  id               text        PRIMARY KEY,
  seq              bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
  connector_id     text        NOT NULL,
  tenant           text        NOT NULL,
  kind             text        NOT NULL,
  job_id           text,
  trigger          text        NOT NULL,
  attempt          integer,
  status           text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  counts           jsonb       NOT NULL DEFAULT '{"created":0,"updated":0,"unchanged":0,"rejected":0}',
  error            text
);
CREATE INDEX runs_connector_seq ON runs (connector_id, seq);
CREATE INDEX runs_tenant_seq ON runs (tenant, seq);
CREATE INDEX runs_connector_finished ON runs (connector_id, finished_at) WHERE status <> 'running';

-- Webhook bodies and inbound events kept for replay; the sender's event id makes them idempotent.
CREATE TABLE raw_events (
  id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  connector_id     text        NOT NULL,
  tenant           text        NOT NULL,
  event_id         text        NOT NULL,
  content_type     text        NOT NULL,
  headers          jsonb       NOT NULL,
  body             text        NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT raw_events_connector_event UNIQUE (connector_id, event_id)
);
CREATE INDEX raw_events_received_at ON raw_events (received_at);

-- Who read or changed what through the API and CLI.
CREATE TABLE audit_log (
  seq              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               uuid        NOT NULL DEFAULT gen_random_uuid(),
  at               timestamptz NOT NULL DEFAULT now(),
  actor            text        NOT NULL,
  action           text        NOT NULL,
  tenant           text,
  target           text,
  detail           jsonb
);
CREATE INDEX audit_log_tenant_seq ON audit_log (tenant, seq);
CREATE INDEX audit_log_actor_seq ON audit_log (actor, seq);
