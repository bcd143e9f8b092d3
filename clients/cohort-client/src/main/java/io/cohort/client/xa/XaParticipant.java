package io.cohort.client.xa;

import io.cohort.client.CohortClient;
import io.cohort.client.barrier.JdbcBarrier;
import io.cohort.client.participant.BranchHandler;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.participant.BranchResponse;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.TransType;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * The participant side of an XA global transaction (DTM wire protocol reference, section 2.6) over any
 * {@link XADataSource} of PostgreSQL, MySQL or MariaDB: the local phase ({@code op=action}, called by the
 * transaction's starter) and phase 2 ({@code op=commit} / {@code op=rollback}, called by the coordinator).
 *
 * <p><b>Model.</b> One XA branch per (gid, branch_id). Its Xid is {@link #FORMAT_ID} (ASCII {@code Coho}), global
 * transaction id = the gid's UTF-8 bytes, branch qualifier = the branch id's UTF-8 bytes, each at most 64 bytes
 * ({@link XaBranchId}); {@link #recover()} recognises this SDK's branches by the format id. The local phase runs, on a
 * fresh {@link XAConnection}: XA START; insert the branch's barrier row (trans_type {@code xa}, op {@code action},
 * barrier id {@code 01}, reason {@code action}) through the branch; the work; the registration with the coordinator;
 * XA END; XA PREPARE. Any failure before the prepare ends the branch with {@code TMFAIL} and rolls it back, so a
 * failed local phase leaves nothing prepared. Phase 2 runs XA COMMIT or XA ROLLBACK by Xid on another fresh
 * connection; an unknown Xid means an earlier delivery already did it, so both are idempotent. After a rollback the
 * participant writes the same barrier row with reason {@code rollback} in a local transaction: that row is how a late
 * action learns its branch is over. The rows are those of DTM's SDKs, in the barrier table of the given
 * {@link JdbcBarrier}, which must live in the database of the {@code XADataSource}.
 *
 * <p><b>Why registration comes before the prepare.</b> Every prepared branch is then one the coordinator knows and
 * will finish; a registration the coordinator refuses (the global transaction is already aborting) rolls the branch
 * back. The reverse order could leave a prepared transaction, holding its locks, that nobody ever commits or rolls
 * back.
 *
 * <p><b>The barrier row is the branch's one point of serialisation.</b> Its unique key admits one live writer: every
 * local phase inserts it first thing in the branch, so every branch that reaches PREPARE holds it, uncommitted, until
 * phase 2; the rollback inserts it too. An insert that meets an uncommitted row waits for that transaction to end, and
 * a prepared transaction only ends by phase 2. That is why the rollback bounds its wait (see below), and why the
 * following holds in every interleaving of a rollback R with local phases A of the same branch.
 *
 * <ul>
 *   <li><i>R before A.</i> XA ROLLBACK finds nothing (unknown Xid), R commits the row with reason {@code rollback}. A's
 *       insert is then a no-op, A reads the reason and refuses without running its work
 *       ({@link XaActionRefusedException}, answered FAILURE): the hanging action is stopped.
 *   <li><i>A prepared before R.</i> XA ROLLBACK rolls A back, which deletes A's uncommitted row; R's insert then
 *       succeeds.
 *   <li><i>A in flight when R starts</i> (it has inserted its row but not prepared; the coordinator can send R then,
 *       because A registered before preparing). XA ROLLBACK finds nothing (an unprepared branch is invisible to other
 *       sessions: PostgreSQL reports an unknown gid, or a busy one while A is inside PREPARE TRANSACTION; MySQL and
 *       MariaDB report {@code XAER_NOTA}). R's insert waits on A's row.
 *       If A fails, its branch rolls back, the row goes away and R's insert succeeds. If A prepares, the row stays
 *       locked: R's wait would never end by itself, so it is bounded ({@link Builder#rollbackLockWait}); when it runs
 *       out R rolls its local transaction back and starts over with XA ROLLBACK, which now finds A prepared and rolls
 *       it back, and the next insert succeeds. After {@link Builder#rollbackAttempts} rounds R gives up with a
 *       retryable {@link XaOperationException} (HTTP 500); the coordinator retries a rollback until it succeeds, and
 *       each retry starts from the top, so the same argument applies again.
 * </ul>
 *
 * <p>So R reports success only once its row is committed with reason {@code rollback} (new, or left by an earlier
 * delivery of R). At that moment no branch holds the row, so none is prepared (every prepared branch holds it), and
 * none can prepare later (every later action finds the row and refuses): the final state is "rolled back" whatever the
 * order. A row with reason {@code action} means the branch was committed; R then fails without claiming a rollback.
 *
 * <p><b>Commit</b> needs no wait: the coordinator commits only after the starter submitted, which it does only after
 * every local phase returned. An unknown Xid at commit is a repeated commit when the barrier row says {@code action}
 * (committed); when it does not, the prepared branch was lost (rolled back by hand, or by a database that does not keep
 * prepared transactions across a disconnect) and the commit fails loudly instead of reporting a success it did not
 * achieve.
 *
 * <p><b>A duplicate action while its branch is prepared</b> is refused at once by XA START with {@code XAER_DUPID} on
 * MySQL and MariaDB. On PostgreSQL its barrier insert waits on the prepared branch's row until phase 2: after a commit
 * it finds the row with reason {@code action} and runs nothing ({@link XaActionRefusedException} that is not
 * {@code rolledBack()}, answered SUCCESS); after a rollback it is simply an action racing that rollback, the case
 * above (its registration is refused by the aborting global transaction, and whatever it prepares R rolls back).
 *
 * <p><b>Crash safety.</b> A prepared branch is durable in the database and does not depend on the connection that
 * prepared it, so phase 2 works from any process. A participant that dies before the prepare leaves an unprepared
 * branch, which the database rolls back when the connection drops. {@link #create} refuses databases that break this:
 * PostgreSQL with {@code max_prepared_transactions = 0}, MariaDB before 10.5 and MySQL before 5.7.7 (both roll
 * prepared branches back on disconnect).
 *
 * <p><b>Resources.</b> Every call opens its own {@link XAConnection} and closes it before returning, whatever
 * happens; the object holds no connection and no state, so it is immutable and thread-safe. Pooling, if any, is the
 * {@code XADataSource}'s business.
 */
public final class XaParticipant {
  /** The Xid format id of this SDK's branches: ASCII {@code Coho}. Stable: changing it would orphan branches. */
  public static final int FORMAT_ID = 0x436F686F;

  /** The query parameter carrying the branch's phase-2 URL on an {@code action} call (reference 2.6). */
  public static final String PHASE2_URL = "phase2_url";

  /** The barrier id of the XA barrier row: an XA branch has exactly one. */
  static final String BARRIER_ID = "01";

  private final XADataSource dataSource;
  private final JdbcBarrier barrier;
  private final Duration rollbackLockWait;
  private final int rollbackAttempts;
  private final XaDatabase database;

  private XaParticipant(Builder b, XaDatabase database) {
    this.dataSource = b.dataSource;
    this.barrier = b.barrier;
    this.rollbackLockWait = b.rollbackLockWait;
    this.rollbackAttempts = b.rollbackAttempts;
    this.database = database;
  }

  /**
   * A participant with default options over {@code dataSource}, after checking that the database can run XA
   * branches.
   *
   * @throws XaNotEnabledException if it cannot (the message names the problem and the fix)
   * @throws XaOperationException if the database cannot be reached for the check (retryable)
   */
  public static XaParticipant create(XADataSource dataSource) {
    return builder(dataSource).build();
  }

  /** Options for a participant over {@code dataSource}. */
  public static Builder builder(XADataSource dataSource) {
    return new Builder(Objects.requireNonNull(dataSource, "dataSource"));
  }

  /**
   * The local phase of XA branch (gid, branchId): runs {@code work} and then {@code beforePrepare} inside a new XA
   * branch and prepares it (see the class comment). Returns the work's result once the branch is prepared; phase 2 is
   * then up to the coordinator.
   *
   * @param beforePrepare registers the branch with the coordinator (its {@code phase2_url}); throwing rolls back
   * @throws IllegalArgumentException if gid or branchId is empty or longer than 64 bytes (before anything is opened)
   * @throws XaActionRefusedException if the branch was already rolled back or committed; the work did not run
   * @throws XaOperationException if an XA or barrier statement failed, or the work or registration threw a checked
   *     exception (the cause)
   * @throws RuntimeException whatever runtime exception the work or the registration threw, unchanged
   */
  public <T> T localPhase(String gid, String branchId, XaWork<T> work, XaRegistration beforePrepare) {
    XaBranchId branch = new XaBranchId(gid, branchId);
    return localPhase(branch, Objects.requireNonNull(work, "work"),
        Objects.requireNonNull(beforePrepare, "beforePrepare"));
  }

  /**
   * Phase 2, commit: commits the prepared branch. Idempotent: a branch the database no longer knows counts as
   * committed when its barrier row says so.
   *
   * @throws IllegalArgumentException if gid or branchId is empty or longer than 64 bytes
   * @throws XaOperationException if the commit failed (retryable), or the branch is neither prepared nor committed:
   *     it was rolled back or lost (not retryable)
   */
  public void commit(String gid, String branchId) {
    commit(new XaBranchId(gid, branchId));
  }

  /**
   * Phase 2, rollback: rolls the branch back if it is prepared and records the rollback in the barrier table, so that
   * a late action refuses. Idempotent, and safe against a local phase still in flight (see the class comment).
   *
   * @throws IllegalArgumentException if gid or branchId is empty or longer than 64 bytes
   * @throws XaOperationException if a statement failed or a local phase of the branch is still in flight after
   *     {@link Builder#rollbackAttempts} waits (retryable), or the branch was already committed (not retryable)
   */
  public void rollback(String gid, String branchId) {
    rollback(new XaBranchId(gid, branchId));
  }

  /**
   * Handles one XA branch call by its {@code op}: {@code action} runs the local phase, {@code commit} and
   * {@code rollback} phase 2. {@code work} and {@code registration} are only used for {@code action}, so an endpoint
   * that only serves phase 2 may pass {@code null}. The registration should register the branch with the request's
   * {@value #PHASE2_URL} ({@code request.queryParam(XaParticipant.PHASE2_URL)}).
   *
   * <p>Answers: success → 200; an action refused because its branch was rolled back → 409 FAILURE (one refused
   * because its branch was committed → 200); {@code trans_type} other than {@code xa}, an unknown op, an action
   * without {@value #PHASE2_URL}, or a gid / branch id too long for an Xid → 400; anything else by
   * {@link BranchResponse#forException} (so a {@code BranchFailedException} from the work is 409, the rest 500).
   */
  public BranchResponse handle(BranchRequest request, XaWork<?> work, XaRegistration registration) {
    Objects.requireNonNull(request, "request");
    if (!TransType.XA.wire().equals(request.transType())) {
      return BranchResponse.error(400, "the XA participant only handles trans_type=xa, got trans_type="
          + request.transType());
    }
    XaBranchId branch;
    try {
      branch = new XaBranchId(request.gid(), request.branchId());
    } catch (IllegalArgumentException e) {
      return BranchResponse.error(400, e.getMessage());
    }
    try {
      switch (request.op()) {
        case BranchOp.ACTION:
          String phase2Url = request.queryParam(PHASE2_URL);
          if (phase2Url == null || phase2Url.isBlank()) {
            return BranchResponse.error(400, "an XA action needs the query parameter " + PHASE2_URL
                + ": without it the branch cannot be registered for phase 2");
          }
          localPhase(branch, Objects.requireNonNull(work, "work"), Objects.requireNonNull(registration, "registration"));
          return BranchResponse.success();
        case BranchOp.COMMIT:
          commit(branch);
          return BranchResponse.success();
        case BranchOp.ROLLBACK:
          rollback(branch);
          return BranchResponse.success();
        default:
          return BranchResponse.error(400, "unknown op '" + request.op() + "' for an XA branch: expected "
              + BranchOp.ACTION + ", " + BranchOp.COMMIT + " or " + BranchOp.ROLLBACK);
      }
    } catch (XaActionRefusedException e) {
      return e.rolledBack() ? BranchResponse.failure(e.getMessage()) : BranchResponse.success();
    } catch (RuntimeException e) {
      return BranchResponse.forException(e);
    }
  }

  /**
   * The whole XA endpoint of a resource manager, ready to mount with {@code JdkHttpBranchHandler} or
   * {@code ServletBranchHandler} at the URL the application passes to {@code XaGlobal.callBranch}: the action runs
   * {@code work} in the local phase and registers the branch with the coordinator through {@code client}; commit and
   * rollback are phase 2. See {@link #handle} for the answers.
   */
  public BranchHandler handler(CohortClient client, XaBranchWork work) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(work, "work");
    return request -> handle(request, conn -> {
      work.run(request, conn);
      return null;
    }, () -> client.coordinator().registerBranch(Map.of("gid", request.gid(), "trans_type", TransType.XA.wire(),
        "branch_id", request.branchId(), "url", request.queryParam(PHASE2_URL))));
  }

  /**
   * The branches of this SDK that are prepared and waiting for phase 2 (Xids of other formats are left out): for
   * operators, and for tests that must leave nothing behind. On MySQL and MariaDB the list covers the whole server
   * and needs the right to run {@code XA RECOVER} (MySQL 8: {@code XA_RECOVER_ADMIN}); on PostgreSQL it covers the
   * current database.
   *
   * @throws XaOperationException if the database cannot be asked (retryable)
   */
  public List<XaBranchId> recover() {
    XAConnection xac = open("recover");
    try {
      Xid[] xids = xac.getXAResource().recover(XAResource.TMSTARTRSCAN | XAResource.TMENDRSCAN);
      List<XaBranchId> branches = new ArrayList<>();
      for (Xid xid : xids == null ? new Xid[0] : xids) {
        XaBranchId branch = XaBranchId.fromXid(xid);
        if (branch != null) {
          branches.add(branch);
        }
      }
      return List.copyOf(branches);
    } catch (XAException e) {
      throw new XaOperationException("XA RECOVER failed: " + XaDatabase.describe(e), true, e);
    } catch (SQLException e) {
      throw new XaOperationException("XA RECOVER failed: " + e.getMessage(), true, e);
    } finally {
      close(xac, null);
    }
  }

  private <T> T localPhase(XaBranchId branch, XaWork<T> work, XaRegistration registration) {
    Xid xid = branch.xid();
    XAConnection xac = open("the action of XA branch " + branch);
    XAResource xar = null;
    Stage stage = Stage.IDLE;
    Throwable failure = null;
    try {
      xar = resource(xac, branch);
      Connection conn = connection(xac, branch);
      start(xar, xid, branch);
      stage = Stage.ACTIVE;
      claimBarrier(conn, branch);
      T result = runWork(work, conn, branch);
      register(registration, branch);
      try {
        xar.end(xid, XAResource.TMSUCCESS);
        stage = Stage.ENDED;
        if (xar.prepare(xid) == XAResource.XA_RDONLY) {
          // The database found nothing to commit, finished the branch at once and forgot the Xid. With the barrier
          // row written in the branch this cannot happen; if a driver says so anyway, nothing is prepared that phase 2
          // could commit, so the action must not report success. The rollback attempt that follows finds nothing.
          throw new XaOperationException("the database answered XA_RDONLY to XA PREPARE of XA branch " + branch
              + " although the branch wrote its barrier row: nothing is prepared, so the action fails", false, null);
        }
        stage = Stage.PREPARED;
      } catch (XAException e) {
        throw new XaOperationException((stage == Stage.ACTIVE ? "XA END" : "XA PREPARE") + " failed for XA branch "
            + branch + ": " + XaDatabase.describe(e), XaDatabase.isRetryable(e), e);
      }
      return result;
    } catch (Throwable t) {
      failure = t;
      abandon(xar, xid, stage, t);
      throw t;
    } finally {
      close(xac, failure);
    }
  }

  private void commit(XaBranchId branch) {
    Xid xid = branch.xid();
    XAConnection xac = open("the commit of XA branch " + branch);
    Throwable failure = null;
    try {
      try {
        resource(xac, branch).commit(xid, false);
        return;
      } catch (XAException e) {
        if (!XaDatabase.isUnknownXid(e)) {
          throw new XaOperationException("XA COMMIT failed for XA branch " + branch + ": " + XaDatabase.describe(e),
              true, e);
        }
      }
      // Nothing prepared under the Xid: a repeated commit if the branch's barrier row committed with it.
      String reason;
      try {
        reason = database.barrierReason(connection(xac, branch), branch, false);
      } catch (SQLException e) {
        throw new XaOperationException("cannot read the barrier row of XA branch " + branch + " after its commit found "
            + "no prepared transaction: " + e.getMessage(), true, e);
      }
      if (!BranchOp.ACTION.equals(reason)) {
        throw new XaOperationException("cannot commit XA branch " + branch + ": it is not prepared and was not "
            + "committed before (" + (reason == null ? "no barrier row: the prepared transaction was lost, rolled back "
            + "outside the coordinator or by a database that does not keep prepared transactions across a disconnect"
            : "its barrier row says it was rolled back") + ")", false, null);
      }
    } catch (Throwable t) {
      failure = t;
      throw t;
    } finally {
      close(xac, failure);
    }
  }

  private void rollback(XaBranchId branch) {
    Xid xid = branch.xid();
    XAConnection xac = open("the rollback of XA branch " + branch);
    Throwable failure = null;
    try {
      XAResource xar = resource(xac, branch);
      Connection conn = connection(xac, branch);
      for (int attempt = 1; ; attempt++) {
        rollbackPrepared(xar, xid, branch);
        RollbackRecord record = recordRollback(conn, branch);
        if (record == RollbackRecord.RECORDED) {
          return;
        }
        if (record == RollbackRecord.COMMITTED) {
          throw new XaOperationException("cannot roll back XA branch " + branch + ": it was already committed", false,
              null);
        }
        if (attempt >= rollbackAttempts) {
          throw new XaOperationException("the rollback of XA branch " + branch + " is waiting for a local phase of the "
              + "branch that is still in flight (" + attempt + " waits of " + rollbackLockWait.toMillis() + " ms); it "
              + "completes when retried after that local phase has prepared or failed", true, null);
        }
      }
    } catch (Throwable t) {
      failure = t;
      throw t;
    } finally {
      close(xac, failure);
    }
  }

  /**
   * XA ROLLBACK by Xid. Fine when nothing is prepared (unknown Xid) or the database already rolled the branch back;
   * also when another session is on the prepared transaction right now (PostgreSQL: still inside PREPARE TRANSACTION,
   * or a concurrent phase 2): that session holds the barrier row, so the bounded insert that follows waits for it and
   * the next round rolls back whatever it left prepared.
   */
  private static void rollbackPrepared(XAResource xar, Xid xid, XaBranchId branch) {
    try {
      xar.rollback(xid);
    } catch (XAException e) {
      if (!XaDatabase.isUnknownXid(e) && !XaDatabase.isRolledBack(e) && !XaDatabase.isBusy(e)) {
        throw new XaOperationException("XA ROLLBACK failed for XA branch " + branch + ": " + XaDatabase.describe(e),
            true, e);
      }
    }
  }

  /**
   * Writes the barrier row with reason {@code rollback} in a local transaction whose lock wait is bounded; reports
   * {@link RollbackRecord#WAITING} when an in-flight local phase held the row past the bound.
   */
  private RollbackRecord recordRollback(Connection conn, XaBranchId branch) {
    try {
      Long previousWait = null;
      conn.setAutoCommit(false);
      try {
        previousWait = database.boundLockWait(conn, rollbackLockWait);
        String reason = database.insertBarrier(conn, branch, BranchOp.ROLLBACK) ? BranchOp.ROLLBACK
            : database.barrierReason(conn, branch, true);
        conn.commit();
        return BranchOp.ACTION.equals(reason) ? RollbackRecord.COMMITTED : RollbackRecord.RECORDED;
      } catch (SQLException e) {
        rollbackQuietly(conn, e);
        if (database.isLockTimeout(e)) {
          return RollbackRecord.WAITING;
        }
        throw e;
      } catch (RuntimeException | Error e) {
        rollbackQuietly(conn, e);
        throw e;
      } finally {
        // Back to auto-commit before the next XA ROLLBACK, which must not run inside a local transaction.
        conn.setAutoCommit(true);
        database.restoreLockWait(conn, previousWait);
      }
    } catch (SQLException e) {
      throw new XaOperationException("cannot record the rollback of XA branch " + branch + " in the barrier table: "
          + e.getMessage(), true, e);
    }
  }

  private void claimBarrier(Connection conn, XaBranchId branch) {
    String reason;
    try {
      if (database.insertBarrier(conn, branch, BranchOp.ACTION)) {
        return;
      }
      reason = database.barrierReason(conn, branch, true);
    } catch (SQLException e) {
      throw new XaOperationException("cannot write the barrier row of XA branch " + branch + ": " + e.getMessage(),
          isTransient(e), e);
    }
    if (reason == null) {
      throw new XaOperationException("the barrier row of XA branch " + branch + " existed but vanished before it "
          + "could be read (deleted by a cleanup?)", true, null);
    }
    throw new XaActionRefusedException(branch, !BranchOp.ACTION.equals(reason));
  }

  private static <T> T runWork(XaWork<T> work, Connection conn, XaBranchId branch) {
    try {
      return work.run(conn);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new XaOperationException("the work of XA branch " + branch + " failed: " + e, isTransient(e), e);
    }
  }

  private static void register(XaRegistration registration, XaBranchId branch) {
    try {
      registration.register();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new XaOperationException("the registration of XA branch " + branch + " failed: " + e, true, e);
    }
  }

  private static void start(XAResource xar, Xid xid, XaBranchId branch) {
    try {
      xar.start(xid, XAResource.TMNOFLAGS);
    } catch (XAException e) {
      String hint = e.errorCode == XAException.XAER_DUPID
          ? ": the branch is already prepared (a duplicate action); it waits for phase 2"
          : ": the database refused to open the XA branch";
      throw new XaOperationException("XA START failed for XA branch " + branch + " (" + XaDatabase.describe(e) + ")"
          + hint, XaDatabase.isRetryable(e), e);
    }
  }

  /**
   * Undoes a local phase that failed at {@code stage}: XA END with {@code TMFAIL} if the branch is still active, then
   * XA ROLLBACK. Errors are attached to {@code failure}, except those saying the branch is already gone. Closing the
   * connection afterwards rolls back whatever an error here left unprepared.
   */
  private static void abandon(XAResource xar, Xid xid, Stage stage, Throwable failure) {
    if (xar == null || stage == Stage.IDLE || stage == Stage.PREPARED) {
      return;
    }
    if (stage == Stage.ACTIVE) {
      try {
        xar.end(xid, XAResource.TMFAIL);
      } catch (XAException e) {
        if (!XaDatabase.isRolledBack(e) && !XaDatabase.isUnknownXid(e)) {
          failure.addSuppressed(e);
        }
      }
    }
    try {
      xar.rollback(xid);
    } catch (XAException e) {
      if (!XaDatabase.isRolledBack(e) && !XaDatabase.isUnknownXid(e)) {
        failure.addSuppressed(e);
      }
    }
  }

  private XAConnection open(String what) {
    try {
      return dataSource.getXAConnection();
    } catch (SQLException e) {
      throw new XaOperationException("cannot open an XA connection for " + what + ": " + e.getMessage(), true, e);
    }
  }

  private static XAResource resource(XAConnection xac, XaBranchId branch) {
    try {
      return xac.getXAResource();
    } catch (SQLException e) {
      throw new XaOperationException("cannot get the XA resource for XA branch " + branch + ": " + e.getMessage(),
          true, e);
    }
  }

  private static Connection connection(XAConnection xac, XaBranchId branch) {
    try {
      return xac.getConnection();
    } catch (SQLException e) {
      throw new XaOperationException("cannot get a connection for XA branch " + branch + ": " + e.getMessage(), true,
          e);
    }
  }

  /** Closes {@code xac}; a failure to close is attached to {@code failure}, or ignored after a success. */
  private static void close(XAConnection xac, Throwable failure) {
    try {
      xac.close();
    } catch (SQLException | RuntimeException e) {
      // After a success the outcome is already decided (prepared, committed or rolled back) and the driver has
      // dropped the connection anyway; reporting an error would make the caller retry a finished operation.
      if (failure != null) {
        failure.addSuppressed(e);
      }
    }
  }

  private static void rollbackQuietly(Connection conn, Throwable failure) {
    try {
      conn.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  private static boolean isTransient(Exception e) {
    return e instanceof SQLTransientException || e instanceof SQLRecoverableException;
  }

  /** How far a local phase got, which decides how to undo it. */
  private enum Stage {
    /** No branch open yet: nothing to undo. */
    IDLE,
    /** XA START done: end with TMFAIL, then roll back. */
    ACTIVE,
    /** XA END done (PREPARE may have failed): roll back. */
    ENDED,
    /** Prepared: now phase 2's business. */
    PREPARED
  }

  /** What a rollback's barrier insert found. */
  private enum RollbackRecord {
    /** The row now says (or already said) rollback: done. */
    RECORDED,
    /** The row says action, committed: the branch was committed. */
    COMMITTED,
    /** A local phase in flight (or prepared meanwhile) held the row past the lock-wait bound: roll back again. */
    WAITING
  }

  /**
   * Options of an {@link XaParticipant}; {@link #build()} checks the database and returns an immutable participant.
   */
  public static final class Builder {
    private final XADataSource dataSource;
    private JdbcBarrier barrier = JdbcBarrier.defaults();
    private Duration rollbackLockWait = Duration.ofSeconds(1);
    private int rollbackAttempts = 2;

    private Builder(XADataSource dataSource) {
      this.dataSource = dataSource;
    }

    /**
     * The barrier whose table holds the XA barrier rows; default {@link JdbcBarrier#defaults()}
     * ({@value JdbcBarrier#DEFAULT_TABLE}). The table must be in the database of the {@code XADataSource} (the row is
     * written inside the XA branch) and exist ({@link JdbcBarrier#ensureSchema}). The dialect is detected from the
     * database.
     */
    public Builder barrier(JdbcBarrier barrier) {
      this.barrier = Objects.requireNonNull(barrier, "barrier");
      return this;
    }

    /**
     * How long a rollback's barrier insert waits for a local phase of the same branch that is in flight before it
     * tries XA ROLLBACK again; default 1 s. MySQL and MariaDB round it up to whole seconds. Keep
     * {@code rollbackLockWait × rollbackAttempts} below the coordinator's request timeout (3 s by default).
     */
    public Builder rollbackLockWait(Duration wait) {
      if (wait == null || wait.isNegative() || wait.toMillis() < 1) {
        throw new IllegalArgumentException("rollbackLockWait must be at least 1 ms, got " + wait);
      }
      this.rollbackLockWait = wait;
      return this;
    }

    /**
     * How many rounds of (XA ROLLBACK, bounded barrier insert) one rollback call makes before it reports a retryable
     * error and leaves the rest to the coordinator's retries; default 2.
     */
    public Builder rollbackAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("rollbackAttempts must be at least 1, got " + attempts);
      }
      this.rollbackAttempts = attempts;
      return this;
    }

    /**
     * Checks on a fresh XA connection that the database can run XA branches, then returns the participant.
     *
     * @throws XaNotEnabledException if it cannot (the message names the problem and the fix)
     * @throws XaOperationException if the database cannot be reached for the check (retryable)
     */
    public XaParticipant build() {
      XAConnection xac;
      try {
        xac = dataSource.getXAConnection();
      } catch (SQLException e) {
        throw new XaOperationException("cannot open an XA connection to check the database's XA support: "
            + e.getMessage(), true, e);
      }
      Throwable failure = null;
      try {
        return new XaParticipant(this, new XaDatabase(XaDatabase.check(xac), barrier.table()));
      } catch (SQLException e) {
        failure = e;
        throw new XaOperationException("cannot check the database's XA support: " + e.getMessage(), true, e);
      } catch (Throwable t) {
        failure = t;
        throw t;
      } finally {
        close(xac, failure);
      }
    }
  }
}
