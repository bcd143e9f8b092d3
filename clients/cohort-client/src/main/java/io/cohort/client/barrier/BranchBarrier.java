package io.cohort.client.barrier;

import io.cohort.client.internal.Attempts;
import io.cohort.protocol.BranchOp;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The subtransaction barrier of one branch request: idempotency, null compensation and anti-hanging for the
 * participant's local work (DTM wire protocol reference, section 3).
 *
 * <p><b>Model.</b> One object per incoming request, built from the four query parameters the coordinator sends
 * ({@code trans_type}, {@code gid}, {@code branch_id}, {@code op}). Each protected call made with the same object
 * takes the next barrier id ({@code 01}, {@code 02}, ...), so one handler can protect several local transactions in
 * a fixed order. A retried request builds a new object and starts again at {@code 01}, which is exactly why a
 * duplicate request collides with the rows of the first one.
 *
 * <p><b>Concurrency.</b> Not thread-safe, like the request it stands for. Concurrent requests for the same branch
 * (a try racing its cancel) use separate objects; the store serialises them (a unique key for SQL, a single Lua
 * script for Redis).
 *
 * <p>The back ends are {@link JdbcBarrier} and {@link RedisBarrier}; {@link #call(Connection, BarrierWork)} is a
 * shortcut for the JDBC barrier with default options.
 */
public final class BranchBarrier {
  private final String transType;
  private final String gid;
  private final String branchId;
  private final String op;
  private int lastBarrierId;
  // The local-transaction run and attempt this barrier last issued an id in, and the id count when that run began.
  private Object seenRun;
  private int seenAttempt;
  private int idAtRunStart;

  private BranchBarrier(String transType, String gid, String branchId, String op) {
    this.transType = require("trans_type", transType);
    this.gid = require("gid", gid);
    this.branchId = require("branch_id", branchId);
    this.op = require("op", op);
  }

  /**
   * A barrier for one branch request.
   *
   * @throws InvalidBranchException naming the first missing (null or blank) parameter
   */
  public static BranchBarrier of(String transType, String gid, String branchId, String op) {
    return new BranchBarrier(transType, gid, branchId, op);
  }

  /**
   * A barrier from a request's query parameters, keyed by their wire names. A value may be a {@code String}, a
   * {@code String[]} or a {@code Collection} (the first element is used), so both servlet-style and single-valued
   * maps work.
   *
   * @throws InvalidBranchException naming the first missing parameter
   */
  public static BranchBarrier fromQuery(Map<String, ?> query) {
    Objects.requireNonNull(query, "query");
    return new BranchBarrier(
        first(query.get("trans_type")), first(query.get("gid")), first(query.get("branch_id")), first(query.get("op")));
  }

  /** The msg check-back barrier for {@code gid}: branch {@code 00}, op {@code msg}. */
  public static BranchBarrier forMsg(String gid) {
    return new BranchBarrier("msg", gid, BranchOp.CHECK_BACK_BRANCH_ID, BranchOp.MSG);
  }

  /**
   * Runs {@code work} behind this barrier inside the caller's transaction on {@code conn}, using the JDBC barrier
   * with default options (dialect detected, table {@code dtm_barrier.barrier}). The caller commits or rolls back.
   *
   * @see JdbcBarrier#call(Connection, BranchBarrier, BarrierWork)
   */
  public <T> BarrierResult<T> call(Connection conn, BarrierWork<T> work) throws SQLException {
    return JdbcBarrier.defaults().call(conn, this, work);
  }

  /**
   * Runs {@code work} behind this barrier in a new transaction on a connection from {@code dataSource}, committing
   * on success and rolling back on any exception.
   *
   * @see JdbcBarrier#callInTransaction(DataSource, BranchBarrier, BarrierWork)
   */
  public <T> BarrierResult<T> callInTransaction(DataSource dataSource, BarrierWork<T> work) throws SQLException {
    return JdbcBarrier.defaults().callInTransaction(dataSource, this, work);
  }

  public String transType() {
    return transType;
  }

  public String gid() {
    return gid;
  }

  public String branchId() {
    return branchId;
  }

  public String op() {
    return op;
  }

  /**
   * Takes the next barrier id of this request: {@code 01}, {@code 02}, ... Inside a {@code LocalTransactions} run,
   * a retry starts again from where the failed attempt started (its rows were rolled back with it), so a barrier
   * reused across retries keeps the ids a duplicate delivery will use.
   */
  synchronized String nextBarrierId() {
    Attempts.Attempt now = Attempts.current();
    if (now != null) {
      if (now.run() != seenRun) {
        seenRun = now.run();
        seenAttempt = now.number();
        idAtRunStart = lastBarrierId;
      } else if (now.number() != seenAttempt) {
        seenAttempt = now.number();
        lastBarrierId = idAtRunStart;
      }
    }
    lastBarrierId++;
    return lastBarrierId < 10 ? "0" + lastBarrierId : Integer.toString(lastBarrierId);
  }

  /**
   * The op whose row a compensation must claim first: {@code cancel -> try}, {@code compensate -> action},
   * {@code rollback -> action} (workflow); {@code null} for every other op.
   */
  String originOp() {
    switch (op) {
      case BranchOp.CANCEL:
        return BranchOp.TRY;
      case BranchOp.COMPENSATE:
      case BranchOp.ROLLBACK:
        return BranchOp.ACTION;
      default:
        return null;
    }
  }

  boolean isMsg() {
    return BranchOp.MSG.equals(op);
  }

  @Override
  public String toString() {
    return "BranchBarrier[trans_type=" + transType + ", gid=" + gid + ", branch_id=" + branchId + ", op=" + op + "]";
  }

  private static String require(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidBranchException(name, "branch parameter '" + name + "' is missing; a barrier needs "
          + "trans_type, gid, branch_id and op from the coordinator's request");
    }
    return value;
  }

  private static String first(Object value) {
    if (value instanceof String) {
      return (String) value;
    }
    if (value instanceof String[]) {
      String[] values = (String[]) value;
      return values.length == 0 ? null : values[0];
    }
    if (value instanceof Collection) {
      Collection<?> values = (Collection<?>) value;
      return values.isEmpty() ? null : Objects.toString(values.iterator().next(), null);
    }
    return value == null ? null : value.toString();
  }
}
