package io.cohort.client.barrier;

import io.cohort.protocol.BranchOp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The subtransaction barrier on a relational database (PostgreSQL, MySQL, MariaDB), byte-compatible with DTM's
 * barrier table: same columns, same unique key (gid, branch_id, op, barrier_id), same values including
 * {@code reason}, so Cohort and DTM SDK participants can share one table.
 *
 * <p><b>Algorithm</b> (reference 3.2), inside one local transaction: insert-ignore the row of the op itself and, for
 * a compensating op, the row of the op it compensates ({@code cancel -> try}, {@code compensate/rollback -> action});
 * both rows carry {@code reason = op}. If the origin row was new, the try never ran: null
 * compensation. If the op's own row already existed, this is a duplicate (its reason is the op) or a hanging try
 * blocked by an earlier compensation (its reason is the compensating op). Only when both checks pass does the
 * business run, in the same transaction, so the rows and the business effects commit or vanish together.
 *
 * <p><b>Concurrency.</b> The unique key serialises a try racing its cancel: the second insert of the same key waits
 * for the first transaction and then sees its row. Whoever commits the try row first wins; the loser takes the
 * other branch of the algorithm. Nothing is held in memory, so the object is immutable and thread-safe.
 *
 * <p><b>Transaction ownership.</b> {@link #call} joins the caller's transaction and never commits or rolls back:
 * the caller does, which lets the business span other statements. {@link #callInTransaction} owns a whole
 * transaction on a connection of its own. {@link #queryPrepared} always makes its decision durable before
 * answering (see there).
 */
public final class JdbcBarrier {
  /** DTM's default table, in the {@code dtm_barrier} schema on PostgreSQL and database on MySQL. */
  public static final String DEFAULT_TABLE = "dtm_barrier.barrier";

  private static final JdbcBarrier DEFAULTS = builder().build();
  private static final Pattern TABLE_NAME = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*\\.)?[A-Za-z_][A-Za-z0-9_]*");
  private static final String REASON_ROLLBACK = BranchOp.ROLLBACK;

  private final String table;
  private final SqlDialect dialect;

  private JdbcBarrier(Builder b) {
    this.table = b.table;
    this.dialect = b.dialect;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Dialect detected per connection, table {@value #DEFAULT_TABLE}. */
  public static JdbcBarrier defaults() {
    return DEFAULTS;
  }

  public String table() {
    return table;
  }

  /**
   * Runs {@code work} behind {@code barrier} in the caller's current transaction on {@code conn}. This method never
   * commits or rolls back: commit when it returns, roll back when it throws (the barrier rows must vanish with a
   * failed business, or a retry would be taken for a duplicate).
   *
   * @throws BarrierMisuseException if {@code conn} is in auto-commit mode
   * @throws SQLException from the barrier statements or the business
   */
  public <T> BarrierResult<T> call(Connection conn, BranchBarrier barrier, BarrierWork<T> work) throws SQLException {
    Objects.requireNonNull(barrier, "barrier");
    Objects.requireNonNull(work, "work");
    if (conn.getAutoCommit()) {
      throw new BarrierMisuseException("a barrier on a connection in auto-commit mode cannot protect the business: "
          + "call conn.setAutoCommit(false) first (and commit afterwards), or use callInTransaction");
    }
    SqlDialect d = dialectOf(conn);
    String bid = barrier.nextBarrierId();
    String originOp = barrier.originOp();
    // The op's own row goes first, then the origin row (DTM inserts them the other way round; the outcome is the
    // same). With DTM's order, on InnoDB a cancel holding the new try row and then inserting its cancel row into the
    // gap just before it deadlocks with a racing try that is waiting for a lock on that try row. With this order the
    // only row the two contend for is the try row, taken last, so they queue instead of deadlocking.
    int currentAffected = insertIgnore(conn, d, barrier, barrier.op(), bid);
    int originAffected = originOp == null ? 0 : insertIgnore(conn, d, barrier, originOp, bid);

    if (originOp != null && originAffected > 0) {
      return BarrierResult.skipped(BarrierOutcome.NULL_COMPENSATION);
    }
    if (currentAffected == 0) {
      String reason = reason(conn, d, barrier.gid(), barrier.branchId(), barrier.op(), bid);
      boolean blocked = reason != null && !reason.equals(barrier.op());
      return BarrierResult.skipped(blocked ? BarrierOutcome.BLOCKED : BarrierOutcome.DUPLICATE);
    }
    try {
      return new BarrierResult<>(BarrierOutcome.EXECUTED, work.run(conn));
    } catch (SQLException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new BarrierBusinessException(e);
    }
  }

  /**
   * Runs {@code work} behind {@code barrier} in a transaction of its own on a new connection from
   * {@code dataSource}: commits when the call returns normally (also when the business was skipped, to keep a null
   * compensation's blocking row), rolls back on any exception, then restores auto-commit and closes the connection.
   */
  public <T> BarrierResult<T> callInTransaction(DataSource dataSource, BranchBarrier barrier, BarrierWork<T> work)
      throws SQLException {
    try (Connection conn = dataSource.getConnection()) {
      boolean autoCommit = conn.getAutoCommit();
      conn.setAutoCommit(false);
      try {
        BarrierResult<T> result = call(conn, barrier, work);
        conn.commit();
        return result;
      } catch (Throwable t) {
        try {
          conn.rollback();
        } catch (SQLException suppressed) {
          t.addSuppressed(suppressed);
        }
        throw t;
      } finally {
        conn.setAutoCommit(autoCommit);
      }
    }
  }

  /**
   * The msg check-back ({@code query_prepared}) for {@code gid}: tries to claim the msg's barrier row
   * (gid, {@code 00}, {@code msg}, {@code 01}) with reason {@code rollback}, then reads the row's reason.
   *
   * <p>Returns {@code true} when the local transaction committed (the row was written by it), {@code false} when it
   * did not and now never can (answer the coordinator FAILURE). The claim must be durable before answering FAILURE,
   * so on a connection with auto-commit off this method commits the connection's transaction itself.
   */
  public boolean queryPrepared(Connection conn, String gid) throws SQLException {
    BranchBarrier check = BranchBarrier.forMsg(gid);
    SqlDialect d = dialectOf(conn);
    String bid = check.nextBarrierId();
    try (PreparedStatement ps = conn.prepareStatement(d.insertIgnore(table))) {
      bind(ps, check, BranchOp.MSG, bid, REASON_ROLLBACK);
      ps.executeUpdate();
    }
    String reason = reason(conn, d, gid, BranchOp.CHECK_BACK_BRANCH_ID, BranchOp.MSG, bid);
    if (!conn.getAutoCommit()) {
      conn.commit();
    }
    return !REASON_ROLLBACK.equals(reason);
  }

  /** {@link #queryPrepared(Connection, String)} on a connection of its own, in auto-commit mode. */
  public boolean queryPrepared(DataSource dataSource, String gid) throws SQLException {
    try (Connection conn = dataSource.getConnection()) {
      return queryPrepared(conn, gid);
    }
  }

  /**
   * Creates the barrier table (and its schema / database) if missing. Idempotent; DDL from the resources
   * {@code barrier-postgresql.sql} / {@code barrier-mysql.sql} next to this class.
   */
  public void ensureSchema(Connection conn) throws SQLException {
    SqlDialect d = dialectOf(conn);
    int dot = table.indexOf('.');
    String schema = dot < 0 ? null : table.substring(0, dot);
    String base = dot < 0 ? table : table.substring(dot + 1);
    if (schemaComplete(conn, d, schema, base)) {
      // Nothing to create, so no DDL at all: even an "if not exists" index statement takes a table lock on
      // PostgreSQL, which waits behind any prepared XA branch holding barrier rows, and every barrier insert then
      // queues behind that waiting lock until the branch's phase 2 comes (which itself needs an insert).
      if (!conn.getAutoCommit()) {
        conn.commit();
      }
      return;
    }
    String ddl = loadDdl(d).lines().filter(l -> !l.strip().startsWith("--")).collect(Collectors.joining("\n"));
    for (String statement : ddl.split(";")) {
      String sql = statement.strip();
      if (sql.isEmpty()) {
        continue;
      }
      if (sql.contains("${schema}")) {
        if (schema == null) {
          continue;
        }
        sql = sql.replace("${schema}", schema);
      }
      // DTM's Go SDK names the constraint in its insert, so the default table keeps DTM's name; other tables get
      // their own, because PostgreSQL constraint (index) names are unique per schema.
      String constraint = base.equals("barrier") ? "uniq_barrier" : base + "_uniq_barrier";
      sql = sql.replace("${table}", table).replace("${base}", base).replace("${constraint}", constraint);
      try (Statement st = conn.createStatement()) {
        st.execute(sql);
      }
    }
    if (!conn.getAutoCommit()) {
      conn.commit();
    }
  }
  /** Whether the table and its indexes exist, asked of the catalog (which takes no lock on the table). */
  private static boolean schemaComplete(Connection conn, SqlDialect d, String schema, String base) throws SQLException {
    String sql = d == SqlDialect.POSTGRESQL
        ? "select count(*) from pg_indexes where schemaname = coalesce(?, current_schema()) and tablename = ?"
            + " and indexname in (? || '_create_time_idx', ? || '_update_time_idx')"
        : "select count(*) * 2 from information_schema.tables where table_schema = coalesce(?, database())"
            + " and table_name = ?";
    try (PreparedStatement ps = conn.prepareStatement(sql)) {
      ps.setString(1, schema);
      ps.setString(2, base);
      if (d == SqlDialect.POSTGRESQL) {
        ps.setString(3, base);
        ps.setString(4, base);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getInt(1) == 2;
      }
    }
  }


  /** {@link #ensureSchema(Connection)} on a connection of its own. */
  public void ensureSchema(DataSource dataSource) throws SQLException {
    try (Connection conn = dataSource.getConnection()) {
      ensureSchema(conn);
    }
  }

  /**
   * Deletes barrier rows whose {@code create_time} is older than {@code retention}, {@code batchSize} rows per
   * statement, each batch committed separately to keep locks short. Keep the retention well above the longest a
   * transaction can stay unfinished: a deleted row can no longer block a late try or detect a duplicate.
   *
   * @return the number of rows deleted
   */
  public long deleteOlderThan(DataSource dataSource, Duration retention, int batchSize) throws SQLException {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be positive, got " + retention);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
    }
    try (Connection conn = dataSource.getConnection()) {
      conn.setAutoCommit(true);
      SqlDialect d = dialectOf(conn);
      long total = 0;
      try (PreparedStatement ps = conn.prepareStatement(d.deleteOlderThan(table))) {
        while (true) {
          if (d == SqlDialect.POSTGRESQL) {
            ps.setDouble(1, retention.toMillis() / 1000.0);
          } else {
            ps.setLong(1, retention.toSeconds());
          }
          ps.setInt(2, batchSize);
          int n = ps.executeUpdate();
          total += n;
          if (n < batchSize) {
            return total;
          }
        }
      }
    }
  }

  private SqlDialect dialectOf(Connection conn) throws SQLException {
    return dialect != null ? dialect : SqlDialect.detect(conn);
  }

  private int insertIgnore(Connection conn, SqlDialect d, BranchBarrier b, String op, String bid) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(d.insertIgnore(table))) {
      bind(ps, b, op, bid, b.op());
      return ps.executeUpdate();
    }
  }

  private static void bind(PreparedStatement ps, BranchBarrier b, String op, String bid, String reason)
      throws SQLException {
    ps.setString(1, b.transType());
    ps.setString(2, b.gid());
    ps.setString(3, b.branchId());
    ps.setString(4, op);
    ps.setString(5, bid);
    ps.setString(6, reason);
  }

  private String reason(Connection conn, SqlDialect d, String gid, String branchId, String op, String bid)
      throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(d.selectReason(table))) {
      ps.setString(1, gid);
      ps.setString(2, branchId);
      ps.setString(3, op);
      ps.setString(4, bid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static String loadDdl(SqlDialect d) {
    try (InputStream in = JdbcBarrier.class.getResourceAsStream(d.ddlResource())) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + d.ddlResource());
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + d.ddlResource(), e);
    }
  }

  /** Immutable options of a {@link JdbcBarrier}. */
  public static final class Builder {
    private String table = DEFAULT_TABLE;
    private SqlDialect dialect;

    private Builder() {}

    /** The barrier table, {@code name} or {@code schema.name}; default {@value JdbcBarrier#DEFAULT_TABLE}. */
    public Builder table(String table) {
      if (table == null || !TABLE_NAME.matcher(table).matches()) {
        throw new IllegalArgumentException("barrier table must be 'name' or 'schema.name' (letters, digits, _), got "
            + table);
      }
      this.table = table;
      return this;
    }

    /** Fixes the dialect instead of detecting it from each connection's metadata. */
    public Builder dialect(SqlDialect dialect) {
      this.dialect = Objects.requireNonNull(dialect, "dialect");
      return this;
    }

    public JdbcBarrier build() {
      return new JdbcBarrier(this);
    }
  }
}
