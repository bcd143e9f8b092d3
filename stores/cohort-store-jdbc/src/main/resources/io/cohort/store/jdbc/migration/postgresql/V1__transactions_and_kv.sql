-- Cohort JDBC store, schema version 1 (PostgreSQL 10+).
--
-- One row per transaction. `record` is the whole aggregate (transaction, options, branches) in RecordCodec's
-- versioned binary form; a step's write replaces the row in one UPDATE. The other columns are derived from the record
-- on every write, for the queries and for operators:
--   id           assigned here, increasing in insertion order; the record's own id field is overwritten on read
--   gid          the gid's UTF-8 bytes (exact: no collation, no trimming)
--   status       GlobalStatus.code(): 1 prepared, 2 submitted, 3 aborting, 4 succeed, 5 failed
--   trans_type   TransType.wire(): saga, msg, tcc, xa, workflow
--   create_time  epoch milliseconds
--   next_wake    epoch ms; only for non-final transactions with a wake time (NULL otherwise): what claims scan
--   finish_time  epoch ms; only for final transactions with a finish time (NULL otherwise): what purges scan
--   version      the compare-and-set version
--   owner        the coordinator holding the lease (informational)
create table cohort_transaction (
  id          bigint generated always as identity primary key,
  gid         bytea       not null,
  status      smallint    not null,
  trans_type  varchar(16) not null,
  create_time bigint,
  next_wake   bigint,
  finish_time bigint,
  version     bigint      not null,
  owner       text        not null,
  record      bytea       not null,
  constraint cohort_transaction_gid unique (gid)
);

-- Claims: due work, earliest first. Partial, so final and unscheduled rows cost nothing here.
create index cohort_transaction_wake on cohort_transaction (next_wake, id) where next_wake is not null;
-- Retention purge: finished rows, oldest first.
create index cohort_transaction_finish on cohort_transaction (finish_time) where finish_time is not null;
-- Listing by status, newest first (the admin console's common filter); other filters walk the primary key.
create index cohort_transaction_status on cohort_transaction (status, id);

-- Key-value entries (topics, admin data). Categories are UTF-8 bytes; keys are UTF-16BE bytes, whose byte order is
-- String.compareTo order, the order kvScan promises (UTF-8 byte order differs above U+FFFF). Values are UTF-8 bytes
-- (text columns cannot hold every Java String, e.g. U+0000).
create table cohort_kv (
  id          bigint generated always as identity primary key,
  category    bytea  not null,
  entry_key   bytea  not null,
  version     bigint not null,
  entry_value bytea  not null,
  create_time bigint,
  update_time bigint,
  constraint cohort_kv_key unique (category, entry_key)
);
