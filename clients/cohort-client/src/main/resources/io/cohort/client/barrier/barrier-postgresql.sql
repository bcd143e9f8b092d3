-- Cohort subtransaction barrier table for PostgreSQL, column-for-column the layout of DTM's barrier table
-- (sequence-backed id; the unique constraint is named uniq_barrier, as DTM's Go SDK expects, for a table named
-- barrier, and <table>_uniq_barrier otherwise, since constraint names are unique per schema).
-- ${schema}, ${table} and ${base} are filled in by JdbcBarrier.ensureSchema; statements without a schema
-- placeholder run for every table name; those with one only when the table name is schema-qualified.
-- Every statement is idempotent.
create schema if not exists ${schema};
create sequence if not exists ${table}_seq;
create table if not exists ${table} (
  id bigint not null default nextval('${table}_seq'),
  trans_type varchar(45) default '',
  gid varchar(128) default '',
  branch_id varchar(128) default '',
  op varchar(45) default '',
  barrier_id varchar(45) default '',
  reason varchar(45) default '',
  create_time timestamp(0) with time zone default current_timestamp,
  update_time timestamp(0) with time zone default current_timestamp,
  primary key (id),
  constraint ${constraint} unique (gid, branch_id, op, barrier_id)
);
create index if not exists ${base}_create_time_idx on ${table} (create_time);
create index if not exists ${base}_update_time_idx on ${table} (update_time);
