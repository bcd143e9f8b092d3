package io.cohort.store.jdbc;

import java.sql.SQLException;
import java.util.Locale;

/**
 * What differs between PostgreSQL and MySQL/MariaDB: the few statements that are not standard SQL, how a taken unique
 * key shows, the oldest server that has everything the store relies on, and where the migrations are.
 *
 * <p>Every statement uses bind parameters for every value; the only text put into SQL is the fixed table and column
 * names here and in {@link JdbcTransactionStore}.
 */
enum Dialect {
  /**
   * PostgreSQL 10+: identity columns (10), {@code ON CONFLICT ... DO NOTHING} and {@code SKIP LOCKED} (9.5). Inserts
   * that find their key taken do nothing instead of failing, so the server log stays free of unique-violation errors.
   */
  POSTGRESQL("PostgreSQL", "postgresql", 10, 0,
      "insert into cohort_transaction (gid, status, trans_type, create_time, next_wake, finish_time, version, owner,"
          + " record) values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (gid) do nothing returning id",
      "insert into cohort_kv (category, entry_key, version, entry_value, create_time, update_time)"
          + " values (?, ?, ?, ?, ?, ?) on conflict (category, entry_key) do nothing",
      // PostgreSQL has no DELETE ... LIMIT.
      "delete from cohort_transaction where id in (select id from cohort_transaction where finish_time < ?"
          + " order by finish_time limit ?)"),

  /**
   * MySQL 8.0+ and MariaDB 10.6+ ({@code SKIP LOCKED}). There is no portable insert-if-absent that reports which
   * happened without hiding other errors ({@code INSERT IGNORE} turns truncation into a warning), so inserts are
   * plain and a duplicate-key error (1062) means "taken". Sessions run at READ COMMITTED, so claims and purges take
   * no gap locks that would stall concurrent inserts.
   */
  MYSQL("MySQL/MariaDB", "mysql", 8, 0,
      "insert into cohort_transaction (gid, status, trans_type, create_time, next_wake, finish_time, version, owner,"
          + " record) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "insert into cohort_kv (category, entry_key, version, entry_value, create_time, update_time)"
          + " values (?, ?, ?, ?, ?, ?)",
      "delete from cohort_transaction where finish_time < ? order by finish_time limit ?");

  /** MySQL error 1062, ER_DUP_ENTRY. */
  private static final int MYSQL_DUPLICATE_KEY = 1062;

  final String displayName;
  final String migrationFolder;
  private final int minMajor;
  private final int minMinor;
  /** Insert-if-absent of a transaction; PostgreSQL returns the new id as a result set, MySQL as a generated key. */
  final String insertTransaction;
  /** Create-if-absent of a key-value entry; one row changed when created. */
  final String insertKv;
  /** Deletes up to {@code ?} rows finished before {@code ?}, oldest first. */
  final String purge;

  Dialect(String displayName, String migrationFolder, int minMajor, int minMinor, String insertTransaction,
      String insertKv, String purge) {
    this.displayName = displayName;
    this.migrationFolder = migrationFolder;
    this.minMajor = minMajor;
    this.minMinor = minMinor;
    this.insertTransaction = insertTransaction;
    this.insertKv = insertKv;
    this.purge = purge;
  }

  /** The dialect a JDBC URL selects, or {@code null} for any other database. */
  static Dialect ofUrl(String url) {
    String u = url.strip().toLowerCase(Locale.ROOT);
    if (u.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    if (u.startsWith("jdbc:mariadb:") || u.startsWith("jdbc:mysql:")) {
      return MYSQL;
    }
    return null;
  }

  /** The Flyway location of this dialect's migrations, unique to this module so no other jar can add to it. */
  String migrationLocation() {
    return "classpath:io/cohort/store/jdbc/migration/" + migrationFolder;
  }

  /** Whether inserts report a taken key by failing ({@link #isDuplicateKey}) rather than by changing nothing. */
  boolean insertFailsOnDuplicate() {
    return this == MYSQL;
  }

  boolean isDuplicateKey(SQLException e) {
    return this == MYSQL && e.getErrorCode() == MYSQL_DUPLICATE_KEY;
  }

  /**
   * Refuses a server too old for the statements above, naming what is missing.
   *
   * @param product {@code DatabaseMetaData.getDatabaseProductName()}: PostgreSQL, MySQL or MariaDB
   */
  String checkServer(String product, int major, int minor, String version) {
    int needMajor = minMajor;
    int needMinor = minMinor;
    String name = product;
    if (this == MYSQL && product.toLowerCase(Locale.ROOT).contains("mariadb")) {
      needMajor = 10;
      needMinor = 6;
      name = "MariaDB";
    }
    if (major < needMajor || (major == needMajor && minor < needMinor)) {
      return name + " " + version + " is too old for the JDBC store: it needs " + name + " " + needMajor + "."
          + needMinor + " or newer (FOR UPDATE SKIP LOCKED" + (this == POSTGRESQL ? ", identity columns" : "") + ")";
    }
    return null;
  }
}
