package io.cohort.client.barrier;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/** The SQL flavours the JDBC barrier speaks. */
public enum SqlDialect {
  /**
   * PostgreSQL: {@code insert ... on conflict (gid, branch_id, op, barrier_id) do nothing}. The conflict target is
   * given by columns rather than DTM's {@code on constraint uniq_barrier}: same effect on DTM's table, and it also
   * works for barrier tables whose constraint has another name.
   */
  POSTGRESQL("barrier-postgresql.sql"),
  /** MySQL and MariaDB: {@code insert ignore}. */
  MYSQL("barrier-mysql.sql");

  private final String ddlResource;

  SqlDialect(String ddlResource) {
    this.ddlResource = ddlResource;
  }

  /**
   * Detects the dialect from {@link DatabaseMetaData#getDatabaseProductName()}.
   *
   * @throws BarrierMisuseException for a database the barrier does not support
   */
  public static SqlDialect detect(Connection conn) throws SQLException {
    String product = conn.getMetaData().getDatabaseProductName();
    String p = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (p.contains("postgres")) {
      return POSTGRESQL;
    }
    if (p.contains("mysql") || p.contains("mariadb")) {
      return MYSQL;
    }
    throw new BarrierMisuseException("no barrier dialect for database '" + product
        + "'; supported: PostgreSQL, MySQL, MariaDB");
  }

  String ddlResource() {
    return ddlResource;
  }

  /** Insert one barrier row unless its unique key exists; the update count tells whether it was new. */
  String insertIgnore(String table) {
    String columns = table + "(trans_type, gid, branch_id, op, barrier_id, reason, create_time, update_time)"
        + " values(?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)";
    return this == POSTGRESQL
        ? "insert into " + columns + " on conflict (gid, branch_id, op, barrier_id) do nothing"
        : "insert ignore into " + columns;
  }

  /**
   * Reads a row's reason with a locking read, so that under MySQL's repeatable read it sees the latest committed
   * row (the one that made our insert a no-op), not an older snapshot.
   */
  String selectReason(String table) {
    String sql = "select reason from " + table + " where gid = ? and branch_id = ? and op = ? and barrier_id = ?";
    return this == POSTGRESQL ? sql + " for share" : sql + " lock in share mode";
  }

  /**
   * Deletes up to {@code ?} rows older than {@code ?} seconds. The cut-off is computed by the database from its own
   * clock, because {@code create_time} is written with the database's {@code CURRENT_TIMESTAMP} (and MySQL's
   * {@code datetime} has no time zone), so a JVM-side instant could be hours off.
   */
  String deleteOlderThan(String table) {
    return this == POSTGRESQL
        ? "delete from " + table + " where id in (select id from " + table
            + " where create_time < CURRENT_TIMESTAMP - make_interval(secs => ?) limit ?)"
        : "delete from " + table + " where create_time < CURRENT_TIMESTAMP - interval ? second limit ?";
  }
}
