-- Cohort JDBC store, schema version 1 (MySQL 8.0+, MariaDB 10.6+).
--
-- One row per transaction. `record` is the whole aggregate (transaction, options, branches) in RecordCodec's
-- versioned binary form; a step's write replaces the row in one UPDATE. The other columns are derived from the record
-- on every write, for the queries and for operators:
--   id           assigned here, increasing in insertion order; the record's own id field is overwritten on read
--   gid          the gid's UTF-8 bytes; VARBINARY, so matching is exact (no case folding, no trailing-space padding)
--   status       GlobalStatus.code(): 1 prepared, 2 submitted, 3 aborting, 4 succeed, 5 failed
--   trans_type   TransType.wire(): saga, msg, tcc, xa, workflow
--   create_time  epoch milliseconds
--   next_wake    epoch ms; only for non-final transactions with a wake time (NULL otherwise): what claims scan
--   finish_time  epoch ms; only for final transactions with a finish time (NULL otherwise): what purges scan
--   version      the compare-and-set version
--   owner        the coordinator holding the lease (informational)
create table cohort_transaction (
  id          bigint         not null auto_increment,
  gid         varbinary(512) not null,
  status      smallint       not null,
  trans_type  varchar(16)    character set ascii not null,
  create_time bigint         null,
  next_wake   bigint         null,
  finish_time bigint         null,
  version     bigint         not null,
  owner       text           character set utf8mb4 not null,
  record      longblob       not null,
  primary key (id),
  unique key cohort_transaction_gid (gid),
  -- Claims: due work, earliest first.
  key cohort_transaction_wake (next_wake, id),
  -- Retention purge: finished rows, oldest first.
  key cohort_transaction_finish (finish_time),
  -- Listing by status, newest first; other filters walk the primary key.
  key cohort_transaction_status (status, id)
) engine = InnoDB;

-- Key-value entries (topics, admin data). Categories are UTF-8 bytes; keys are UTF-16BE bytes, whose byte order is
-- String.compareTo order, the order kvScan promises (UTF-8 byte order differs above U+FFFF). Values are UTF-8 bytes.
create table cohort_kv (
  id          bigint          not null auto_increment,
  category    varbinary(255)  not null,
  entry_key   varbinary(1024) not null,
  version     bigint          not null,
  entry_value longblob        not null,
  create_time bigint          null,
  update_time bigint          null,
  primary key (id),
  unique key cohort_kv_key (category, entry_key)
) engine = InnoDB;
