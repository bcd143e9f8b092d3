package io.cohort.client.xa;

import io.cohort.client.barrier.BarrierMisuseException;
import io.cohort.client.barrier.SqlDialect;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.TransType;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.XAConnection;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;

/**
 * What {@link XaParticipant} needs to know about one database: its dialect, the SQL of the XA barrier row, how a lock
 * wait is bounded, and how the drivers report an unknown Xid or a lock timeout. Also the start-up check that the
 * database can run XA branches at all. Only {@code java.sql} and {@code javax.transaction.xa}: the driver is the
 * user's choice.
 */
final class XaDatabase {
  /** PostgreSQL's {@code undefined_object}: what {@code COMMIT/ROLLBACK PREPARED} of an unknown gid reports. */
  private static final String PG_UNDEFINED_OBJECT = "42704";
  /** PostgreSQL's {@code object_in_use}: another session is preparing, committing or rolling back the gid. */
  private static final String PG_OBJECT_IN_USE = "55006";
  /** PostgreSQL's {@code lock_not_available}: a lock wait ended by {@code lock_timeout}. */
  private static final String PG_LOCK_NOT_AVAILABLE = "55P03";
  /** MySQL / MariaDB {@code ER_XAER_NOTA}. */
  private static final int MYSQL_XAER_NOTA = 1397;
  /** MySQL / MariaDB {@code ER_LOCK_WAIT_TIMEOUT}. */
  private static final int MYSQL_LOCK_WAIT_TIMEOUT = 1205;
  private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

  private final SqlDialect dialect;
  private final String table;

  XaDatabase(SqlDialect dialect, String table) {
    this.dialect = dialect;
    this.table = table;
  }

  /**
   * Checks, on a fresh XA connection, that the database can prepare XA branches that survive a disconnect, and
   * returns its dialect.
   *
   * @throws XaNotEnabledException naming the problem and its fix
   */
  static SqlDialect check(XAConnection xac) throws SQLException {
    Connection conn = xac.getConnection();
    DatabaseMetaData md = conn.getMetaData();
    String product = md.getDatabaseProductName();
    String version = md.getDatabaseProductVersion();
    SqlDialect dialect;
    try {
      dialect = SqlDialect.detect(conn);
    } catch (BarrierMisuseException e) {
      throw new XaNotEnabledException("the XA participant supports PostgreSQL, MySQL and MariaDB; this database is '"
          + product + "'", e);
    }
    if (dialect == SqlDialect.POSTGRESQL) {
      checkPostgres(conn);
    } else {
      checkMysql(xac.getXAResource(), product, version);
    }
    return dialect;
  }

  private static void checkPostgres(Connection conn) throws SQLException {
    String value;
    try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("show max_prepared_transactions")) {
      value = rs.next() ? rs.getString(1) : null;
    }
    if (value != null && value.strip().equals("0")) {
      throw new XaNotEnabledException("PostgreSQL has prepared transactions disabled (max_prepared_transactions = 0), "
          + "so it cannot prepare XA branches: set max_prepared_transactions > 0 in postgresql.conf (at least the "
          + "number of XA branches that may be prepared at once, for example with "
          + "ALTER SYSTEM SET max_prepared_transactions = 100) and restart PostgreSQL");
    }
  }

  private static void checkMysql(XAResource xar, String product, String version) {
    String v = version == null ? "" : version;
    boolean mariaDb = (product + " " + v).toLowerCase(Locale.ROOT).contains("mariadb");
    // MySQL Connector/J may report a MariaDB server as 5.5.5-10.x.y-MariaDB (the old replication prefix).
    int[] parsed = parseVersion(mariaDb && v.startsWith("5.5.5-") ? v.substring(6) : v);
    if (parsed != null && mariaDb && compare(parsed, 10, 5, 2) < 0) {
      throw new XaNotEnabledException("MariaDB " + version + " rolls prepared XA transactions back when the client "
          + "disconnects (fixed in 10.5.2, MDEV-742), so a prepared branch would not survive a participant restart: "
          + "upgrade MariaDB to 10.5 or newer");
    }
    if (parsed != null && !mariaDb && compare(parsed, 5, 7, 7) < 0) {
      throw new XaNotEnabledException("MySQL " + version + " rolls prepared XA transactions back when the client "
          + "disconnects (fixed in 5.7.7), so a prepared branch would not survive a participant restart: upgrade "
          + "MySQL to 5.7.7 or newer");
    }
    // XA is built into InnoDB, but a proxy in front of the server (or a missing privilege) may still refuse it: open
    // and roll back an empty branch. It is never prepared, so it leaves nothing behind (a disconnect would end it).
    BranchXid probe = new BranchXid("cohort-xa-probe".getBytes(StandardCharsets.UTF_8),
        UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
    try {
      xar.start(probe, XAResource.TMNOFLAGS);
    } catch (XAException e) {
      throw new XaNotEnabledException(product + " " + version + " refused XA START (" + describe(e) + "): the server, "
          + "or a proxy in front of it, does not run XA transactions for this user; connect the participant directly "
          + "to a server that does", e);
    }
    try {
      xar.end(probe, XAResource.TMSUCCESS);
      xar.rollback(probe);
    } catch (XAException e) {
      throw new XaNotEnabledException(product + " " + version + " opened an XA branch but could not end and roll it "
          + "back (" + describe(e) + "): XA transactions do not work through this connection", e);
    }
  }

  /**
   * Inserts the branch's barrier row (trans_type {@code xa}, op {@code action}, barrier id {@code 01}) with
   * {@code reason} unless the key exists; returns whether the row is new.
   */
  boolean insertBarrier(Connection conn, XaBranchId branch, String reason) throws SQLException {
    String insert = "into " + table + "(trans_type, gid, branch_id, op, barrier_id, reason, create_time, update_time)"
        + " values(?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)";
    String sql = dialect == SqlDialect.POSTGRESQL
        ? "insert " + insert + " on conflict (gid, branch_id, op, barrier_id) do nothing"
        : "insert ignore " + insert;
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, TransType.XA.wire());
      ps.setString(2, branch.gid());
      ps.setString(3, branch.branchId());
      ps.setString(4, BranchOp.ACTION);
      ps.setString(5, XaParticipant.BARRIER_ID);
      ps.setString(6, reason);
      return ps.executeUpdate() > 0;
    }
  }

  /**
   * The reason of the branch's barrier row, {@code null} when there is none. {@code locking} reads with a share lock,
   * which under MySQL's repeatable read sees the latest committed row rather than the transaction's snapshot.
   */
  String barrierReason(Connection conn, XaBranchId branch, boolean locking) throws SQLException {
    String sql = "select reason from " + table + " where gid = ? and branch_id = ? and op = ? and barrier_id = ?";
    if (locking) {
      sql += dialect == SqlDialect.POSTGRESQL ? " for share" : " lock in share mode";
    }
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, branch.gid());
      ps.setString(2, branch.branchId());
      ps.setString(3, BranchOp.ACTION);
      ps.setString(4, XaParticipant.BARRIER_ID);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /**
   * Bounds lock waits of the current transaction on {@code conn} to {@code wait}; call it inside the transaction. On
   * PostgreSQL {@code set local lock_timeout}, which ends with the transaction; on MySQL / MariaDB the session's
   * {@code innodb_lock_wait_timeout}, in whole seconds rounded up, returning the previous value for
   * {@link #restoreLockWait} (which PostgreSQL does not need: {@code null}).
   */
  Long boundLockWait(Connection conn, Duration wait) throws SQLException {
    try (Statement st = conn.createStatement()) {
      if (dialect == SqlDialect.POSTGRESQL) {
        st.execute("set local lock_timeout = '" + Math.max(1, wait.toMillis()) + "ms'");
        return null;
      }
      long previous;
      try (ResultSet rs = st.executeQuery("select @@session.innodb_lock_wait_timeout")) {
        rs.next();
        previous = rs.getLong(1);
      }
      long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
      st.execute("set session innodb_lock_wait_timeout = " + seconds);
      return previous;
    }
  }

  /** Puts back the session's lock wait changed by {@link #boundLockWait} (MySQL / MariaDB only). */
  void restoreLockWait(Connection conn, Long previous) throws SQLException {
    if (previous != null) {
      try (Statement st = conn.createStatement()) {
        st.execute("set session innodb_lock_wait_timeout = " + previous);
      }
    }
  }

  /** Whether {@code e} is a lock wait that ran out of time (the row is held by another transaction). */
  boolean isLockTimeout(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        SQLException s = (SQLException) t;
        if (dialect == SqlDialect.POSTGRESQL ? PG_LOCK_NOT_AVAILABLE.equals(s.getSQLState())
            : s.getErrorCode() == MYSQL_LOCK_WAIT_TIMEOUT) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether the database does not know the Xid: nothing is prepared under it (any more). The drivers report this as
   * {@code XAER_NOTA}; the causes are checked too, for drivers that map it to {@code XAER_RMERR}.
   */
  static boolean isUnknownXid(XAException e) {
    if (e.errorCode == XAException.XAER_NOTA) {
      return true;
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof SQLException) {
        SQLException s = (SQLException) t;
        if (PG_UNDEFINED_OBJECT.equals(s.getSQLState()) || s.getErrorCode() == MYSQL_XAER_NOTA) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether another session is working on the prepared transaction right now (PostgreSQL: the branch is still in
   * PREPARE TRANSACTION, or a concurrent phase 2 holds it).
   */
  static boolean isBusy(XAException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof SQLException && PG_OBJECT_IN_USE.equals(((SQLException) t).getSQLState())) {
        return true;
      }
    }
    return false;
  }

  /** Whether the branch was already rolled back by the database ({@code XA_RB*}: deadlock, timeout, ...). */
  static boolean isRolledBack(XAException e) {
    return e.errorCode >= XAException.XA_RBBASE && e.errorCode <= XAException.XA_RBEND;
  }

  /** Whether repeating the XA call later may succeed: not for a protocol or argument error. */
  static boolean isRetryable(XAException e) {
    return e.errorCode != XAException.XAER_PROTO && e.errorCode != XAException.XAER_INVAL
        && e.errorCode != XAException.XAER_OUTSIDE;
  }

  /** The XA error code's name and the driver's message, for exception messages. */
  static String describe(XAException e) {
    String message = e.getMessage();
    if ((message == null || message.isBlank()) && e.getCause() != null) {
      message = e.getCause().getMessage();
    }
    return codeName(e.errorCode) + (message == null || message.isBlank() ? "" : ": " + message);
  }

  private static String codeName(int code) {
    switch (code) {
      case XAException.XAER_NOTA:
        return "XAER_NOTA";
      case XAException.XAER_RMERR:
        return "XAER_RMERR";
      case XAException.XAER_RMFAIL:
        return "XAER_RMFAIL";
      case XAException.XAER_PROTO:
        return "XAER_PROTO";
      case XAException.XAER_INVAL:
        return "XAER_INVAL";
      case XAException.XAER_DUPID:
        return "XAER_DUPID";
      case XAException.XAER_OUTSIDE:
        return "XAER_OUTSIDE";
      case XAException.XAER_ASYNC:
        return "XAER_ASYNC";
      default:
        return code >= XAException.XA_RBBASE && code <= XAException.XA_RBEND ? "XA_RB(" + code + ")"
            : "XA error " + code;
    }
  }

  private static int[] parseVersion(String version) {
    Matcher m = VERSION.matcher(version);
    if (!m.find()) {
      return null;
    }
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
        m.group(3) == null ? 0 : Integer.parseInt(m.group(3))};
  }

  private static int compare(int[] v, int major, int minor, int patch) {
    int[] other = {major, minor, patch};
    for (int i = 0; i < 3; i++) {
      if (v[i] != other[i]) {
        return Integer.compare(v[i], other[i]);
      }
    }
    return 0;
  }
}
