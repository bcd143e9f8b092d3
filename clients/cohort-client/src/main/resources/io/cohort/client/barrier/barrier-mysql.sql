-- Cohort subtransaction barrier table for MySQL and MariaDB, column-for-column the layout of DTM's barrier table.
-- ${schema} (the database) and ${table} are filled in by JdbcBarrier.ensureSchema; statements with a schema
-- placeholder only run when the table name is qualified. Every statement is idempotent.
create database if not exists ${schema} default character set utf8mb4;
create table if not exists ${table} (
  id bigint primary key auto_increment,
  trans_type varchar(45) default '',
  gid varchar(128) default '',
  branch_id varchar(128) default '',
  op varchar(45) default '',
  barrier_id varchar(45) default '',
  reason varchar(45) default '' comment 'the op whose call inserted this row',
  create_time datetime default current_timestamp,
  update_time datetime default current_timestamp,
  key (create_time),
  key (update_time),
  unique key (gid, branch_id, op, barrier_id)
);
