package io.cohort.client.local;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;

/**
 * How a deadline becomes a server-side statement timeout. {@link java.sql.Statement#setQueryTimeout} is out of
 * reach (the work creates its own statements), so the runner sets a session or transaction variable that bounds
 * every statement the work runs. The bound is per statement: a work running many short statements can still
 * outlive the deadline by the time spent between statements.
 */
enum TimeoutDialect {
  /**
   * {@code SET LOCAL statement_timeout}: scoped to the current transaction, so commit or rollback restores the
   * session's value and nothing needs undoing. Cancelled statements fail with SQLState {@code 57014}.
   */
  POSTGRESQL {
    @Override
    Restore apply(Connection conn, Duration remaining) throws SQLException {
      try (Statement st = conn.createStatement()) {
        st.execute("set local statement_timeout = " + Math.max(1, ceilMillis(remaining)));
      }
      return Restore.NOTHING;
    }

    @Override
    boolean isTimeout(SQLException e) {
      return "57014".equals(e.getSQLState());
    }
  },
  /**
   * MariaDB's {@code max_statement_time} (seconds with a fraction, every statement kind). It is a session variable,
   * so the previous value is read first and written back after the transaction ends. Error 1969 when exceeded.
   */
  MARIADB {
    @Override
    Restore apply(Connection conn, Duration remaining) throws SQLException {
      return setSession(conn, "max_statement_time", String.format(Locale.ROOT, "%.3f",
          Math.max(1, ceilMillis(remaining)) / 1000.0));
    }

    @Override
    boolean isTimeout(SQLException e) {
      return e.getErrorCode() == 1969;
    }
  },
  /**
   * MySQL's {@code max_execution_time} (milliseconds). MySQL applies it to read-only {@code SELECT} statements only;
   * writes stay bounded by {@code innodb_lock_wait_timeout}. Restored like MariaDB's. Error 3024 when exceeded.
   */
  MYSQL {
    @Override
    Restore apply(Connection conn, Duration remaining) throws SQLException {
      return setSession(conn, "max_execution_time", Long.toString(Math.max(1, ceilMillis(remaining))));
    }

    @Override
    boolean isTimeout(SQLException e) {
      return e.getErrorCode() == 3024;
    }
  },
  /** Any other database: no statement timeout; the deadline is checked only between attempts. */
  NONE {
    @Override
    Restore apply(Connection conn, Duration remaining) {
      return Restore.NOTHING;
    }

    @Override
    boolean isTimeout(SQLException e) {
      return false;
    }
  };

  /** Undoes what {@link #apply} changed on the session. */
  @FunctionalInterface
  interface Restore {
    Restore NOTHING = () -> {};

    void run() throws SQLException;
  }

  /** Bounds every statement of the current transaction on {@code conn} by {@code remaining}. */
  abstract Restore apply(Connection conn, Duration remaining) throws SQLException;

  /** Whether {@code e} says the statement was cancelled by the timeout {@link #apply} set. */
  abstract boolean isTimeout(SQLException e);

  /**
   * From the product name and version: MySQL Connector/J reports a MariaDB server as product "MySQL" with a version
   * such as {@code 10.11.5-MariaDB}, hence the look at both.
   */
  static TimeoutDialect detect(Connection conn) throws SQLException {
    DatabaseMetaData md = conn.getMetaData();
    String product = lower(md.getDatabaseProductName());
    String version = lower(md.getDatabaseProductVersion());
    if (product.contains("postgres")) {
      return POSTGRESQL;
    }
    if (product.contains("mariadb") || version.contains("mariadb")) {
      return MARIADB;
    }
    if (product.contains("mysql")) {
      return MYSQL;
    }
    return NONE;
  }

  private static String lower(String s) {
    return s == null ? "" : s.toLowerCase(Locale.ROOT);
  }

  private static long ceilMillis(Duration d) {
    long ms = d.toMillis();
    return d.minusMillis(ms).isZero() ? ms : ms + 1;
  }

  private static Restore setSession(Connection conn, String variable, String value) throws SQLException {
    String previous;
    try (Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("select @@session." + variable)) {
      rs.next();
      previous = rs.getString(1);
    }
    try (Statement st = conn.createStatement()) {
      st.execute("set session " + variable + " = " + value);
    }
    String restoreTo = previous == null ? "default" : previous;
    return () -> {
      try (Statement st = conn.createStatement()) {
        st.execute("set session " + variable + " = " + restoreTo);
      }
    };
  }
}
