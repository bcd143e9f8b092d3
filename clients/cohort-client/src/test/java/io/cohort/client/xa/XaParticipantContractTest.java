package io.cohort.client.xa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.JdbcBarrier;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.participant.BranchResponse;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import javax.sql.XADataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The XA participant's contract on a real database; subclasses name the database. Every test uses gids of its own
 * (one random prefix per test), checks after itself that no XA connection leaked and that nothing it created is left
 * prepared, and cleans up whatever it left behind so that a failure does not poison the next test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class XaParticipantContractTest {
  private static final String EFFECTS = "cohort_xa_test_effect";
  private static final String PHASE2_URL = "http://127.0.0.1:1/xa";

  /** One name per test instance: the application name of every XA connection the test opens (where supported). */
  final String applicationName = "cohort-xa-test-" + UUID.randomUUID().toString().substring(0, 8);
  private final String prefix = "xa-" + UUID.randomUUID().toString().substring(0, 8) + "-";
  private final AtomicInteger gids = new AtomicInteger();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  CountingXaDataSource dataSource;
  XaParticipant participant;

  /** An XA data source on the test database whose connections carry {@code applicationName} where possible. */
  abstract XADataSource xaDataSource(String applicationName);

  /** A plain JDBC URL of the same database, for checking results from outside the branches. */
  abstract String url();

  /** Whether a barrier insert of {@code gid} made by this test's participant is waiting for a row lock now. */
  abstract boolean barrierInsertWaits(String gid) throws SQLException;

  @BeforeEach
  void open() throws SQLException {
    try (Connection c = plain(); Statement st = c.createStatement()) {
      JdbcBarrier.defaults().ensureSchema(c);
      st.execute("create table if not exists " + EFFECTS
          + " (gid varchar(128) not null, branch_id varchar(128) not null, note varchar(64))");
    }
    dataSource = new CountingXaDataSource(xaDataSource(applicationName));
    participant = XaParticipant.create(dataSource);
  }

  @AfterEach
  void leavesNothingBehind() throws Exception {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("test threads stopped").isTrue();
    if (participant == null) {
      return; // the set-up failed; its error is the one to see
    }
    List<XaBranchId> left = inDoubt();
    for (XaBranchId branch : left) {
      participant.rollback(branch.gid(), branch.branchId());
    }
    try (Connection c = plain()) {
      for (String table : List.of(EFFECTS, JdbcBarrier.DEFAULT_TABLE)) {
        try (PreparedStatement ps = c.prepareStatement("delete from " + table + " where gid like ?")) {
          ps.setString(1, prefix + "%");
          ps.executeUpdate();
        }
      }
    }
    assertThat(left).as("branches left prepared").isEmpty();
    assertThat(dataSource.open()).as("XA connections opened and not closed").isZero();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The happy paths.

  @Test
  void localPhaseThenCommitMakesTheWorkVisible() throws Exception {
    String gid = gid();
    AtomicBoolean registered = new AtomicBoolean();

    String result = participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> registered.set(true));

    assertThat(result).isEqualTo("wrote " + gid);
    assertThat(registered).isTrue();
    assertThat(effects(gid)).as("prepared, not visible yet").isZero();
    assertThat(inDoubt()).containsExactly(new XaBranchId(gid, "01"));
    assertThat(dataSource.open()).as("the local phase closed its connection").isZero();

    participant.commit(gid, "01");

    assertThat(effects(gid)).isEqualTo(1);
    assertThat(inDoubt()).isEmpty();
    assertThat(barrierReason(gid, "01")).isEqualTo("action");
  }

  @Test
  void localPhaseThenRollbackDiscardsTheWorkAndRecordsTheRollback() throws Exception {
    String gid = gid();
    participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {});

    participant.rollback(gid, "01");

    assertThat(effects(gid)).isZero();
    assertThat(inDoubt()).isEmpty();
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
  }

  @Test
  void branchesOfOneGlobalTransactionAreIndependent() throws Exception {
    String gid = gid();
    participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {});
    participant.localPhase(gid, "02", conn -> effect(conn, gid, "02"), () -> {});
    assertThat(inDoubt()).containsExactlyInAnyOrder(new XaBranchId(gid, "01"), new XaBranchId(gid, "02"));

    participant.commit(gid, "01");
    participant.rollback(gid, "02");

    assertThat(effects(gid, "01")).isEqualTo(1);
    assertThat(effects(gid, "02")).isZero();
  }

  @Test
  void idsOfExactly64BytesWork() throws Exception {
    String gid = (gid() + "x".repeat(64)).substring(0, 64);
    String branchId = "é".repeat(32); // 32 characters, 64 bytes in UTF-8
    participant.localPhase(gid, branchId, conn -> effect(conn, gid, branchId), () -> {});
    assertThat(inDoubt()).containsExactly(new XaBranchId(gid, branchId));

    participant.commit(gid, branchId);

    assertThat(effects(gid, branchId)).isEqualTo(1);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Failures inside the local phase leave nothing prepared.

  @Test
  void workThatThrowsPreparesNothingAndPropagatesItsException() throws Exception {
    String gid = gid();
    IllegalStateException boom = new IllegalStateException("business refused");
    AtomicBoolean registered = new AtomicBoolean();

    assertThatThrownBy(() -> participant.localPhase(gid, "01", conn -> {
      effect(conn, gid, "01");
      throw boom;
    }, () -> registered.set(true))).isSameAs(boom);

    assertThat(registered).as("no registration after a failed work").isFalse();
    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).as("the barrier row rolled back with the work: a retry may run").isNull();
  }

  @Test
  void checkedExceptionOfTheWorkIsWrappedWithItsCause() throws Exception {
    String gid = gid();
    IOException io = new IOException("disk on fire");

    assertThatThrownBy(() -> participant.localPhase(gid, "01", conn -> {
      effect(conn, gid, "01");
      throw io;
    }, () -> {})).isInstanceOf(XaOperationException.class).hasCause(io).hasMessageContaining("disk on fire");

    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
  }

  @Test
  void sqlErrorInTheWorkRollsTheBranchBack() throws Exception {
    String gid = gid();

    assertThatThrownBy(() -> participant.localPhase(gid, "01", conn -> {
      effect(conn, gid, "01");
      try (Statement st = conn.createStatement()) {
        st.execute("select * from cohort_xa_no_such_table");
      }
      return null;
    }, () -> {})).isInstanceOf(XaOperationException.class).hasCauseInstanceOf(SQLException.class);

    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).isNull();
  }

  @Test
  void registrationThatThrowsRollsTheBranchBack() throws Exception {
    String gid = gid();
    AtomicBoolean worked = new AtomicBoolean();
    IllegalStateException refused = new IllegalStateException("the global transaction is aborting");

    assertThatThrownBy(() -> participant.localPhase(gid, "01", conn -> {
      worked.set(true);
      return effect(conn, gid, "01");
    }, () -> {
      throw refused;
    })).isSameAs(refused);

    assertThat(worked).isTrue();
    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).isNull();
  }

  @Test
  void readOnlyVoteAtPrepareFailsTheActionAndLeavesNothing() throws Exception {
    String gid = gid();
    dataSource.answerReadOnlyToPrepare();

    assertThatThrownBy(() -> participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {}))
        .isInstanceOf(XaOperationException.class).hasMessageContaining("XA_RDONLY");

    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
    participant.rollback(gid, "01"); // what the coordinator does next: fine, and it blocks a late retry
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Anti-hanging and idempotency.

  @Test
  void actionAfterItsRollbackIsRefusedWithoutRunningTheWork() throws Exception {
    String gid = gid();
    participant.rollback(gid, "01"); // nothing prepared: only the barrier row is written
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
    AtomicBoolean worked = new AtomicBoolean();
    AtomicBoolean registered = new AtomicBoolean();

    assertThatThrownBy(() -> participant.localPhase(gid, "01", conn -> {
      worked.set(true);
      return effect(conn, gid, "01");
    }, () -> registered.set(true)))
        .isInstanceOfSatisfying(XaActionRefusedException.class, e -> {
          assertThat(e.rolledBack()).isTrue();
          assertThat(e.retryable()).isFalse();
        })
        .hasMessageContaining("rolled back");

    assertThat(worked).as("the hanging action's work never runs").isFalse();
    assertThat(registered).isFalse();
    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
  }

  @Test
  void duplicateCommitSucceeds() throws Exception {
    String gid = gid();
    participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {});

    participant.commit(gid, "01");
    participant.commit(gid, "01");

    assertThat(effects(gid)).isEqualTo(1);
    assertThat(inDoubt()).isEmpty();
  }

  @Test
  void duplicateRollbackSucceeds() throws Exception {
    String gid = gid();
    participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {});

    participant.rollback(gid, "01");
    participant.rollback(gid, "01");

    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
  }

  @Test
  void duplicateActionAfterCommitDoesNotRunTheWorkAgain() throws Exception {
    String gid = gid();
    participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {});
    participant.commit(gid, "01");
    AtomicBoolean worked = new AtomicBoolean();

    assertThatThrownBy(() -> participant.localPhase(gid, "01", conn -> {
      worked.set(true);
      return effect(conn, gid, "01");
    }, () -> {})).isInstanceOfSatisfying(XaActionRefusedException.class, e -> assertThat(e.rolledBack()).isFalse());

    assertThat(worked).isFalse();
    assertThat(effects(gid)).isEqualTo(1);
  }

  @Test
  void commitAfterTheParticipantRestartedCommitsThePreparedBranch() throws Exception {
    String gid = gid();
    participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {});
    assertThat(dataSource.open()).as("the preparing connection is closed").isZero();

    // A new process: a new data source and a new participant; the prepared branch lives in the database.
    CountingXaDataSource restarted = new CountingXaDataSource(xaDataSource(applicationName));
    XaParticipant.create(restarted).commit(gid, "01");

    assertThat(effects(gid)).isEqualTo(1);
    assertThat(inDoubt()).isEmpty();
    assertThat(restarted.open()).isZero();
  }

  @Test
  void commitNeverReportsASuccessItDidNotAchieve() throws Exception {
    String neverPrepared = gid();
    assertThatThrownBy(() -> participant.commit(neverPrepared, "01"))
        .isInstanceOfSatisfying(XaOperationException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessageContaining("not prepared");

    String rolledBack = gid();
    participant.localPhase(rolledBack, "01", conn -> effect(conn, rolledBack, "01"), () -> {});
    participant.rollback(rolledBack, "01");
    assertThatThrownBy(() -> participant.commit(rolledBack, "01"))
        .isInstanceOf(XaOperationException.class)
        .hasMessageContaining("rolled back");
    assertThat(effects(rolledBack)).isZero();
  }

  @Test
  void rollbackAfterCommitFailsInsteadOfClaimingARollback() throws Exception {
    String gid = gid();
    participant.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {});
    participant.commit(gid, "01");

    assertThatThrownBy(() -> participant.rollback(gid, "01"))
        .isInstanceOfSatisfying(XaOperationException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessageContaining("already committed");

    assertThat(effects(gid)).isEqualTo(1);
    assertThat(barrierReason(gid, "01")).isEqualTo("action");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // A rollback racing a local phase that is still in flight.

  @Test
  void rollbackRacingAnInFlightLocalPhaseThatPreparesEndsRolledBack() throws Exception {
    String gid = gid();
    XaParticipant racing = participant(b -> b.rollbackLockWait(Duration.ofSeconds(1)).rollbackAttempts(20));
    CountDownLatch inWork = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);

    Future<String> action = pool.submit(() -> racing.localPhase(gid, "01", conn -> {
      String r = effect(conn, gid, "01");
      inWork.countDown();
      assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
      return r;
    }, () -> {}));
    assertThat(inWork.await(30, TimeUnit.SECONDS)).isTrue();
    Future<?> rollback = pool.submit(() -> {
      racing.rollback(gid, "01");
      return null;
    });
    awaitTrue("the rollback's barrier insert waits for the in-flight branch", () -> {
      if (rollback.isDone()) {
        rollback.get();
        fail("the rollback finished while the branch was in flight");
      }
      return barrierInsertWaits(gid);
    });

    release.countDown();

    assertThat(action.get(30, TimeUnit.SECONDS)).as("the action prepared").isEqualTo("wrote " + gid);
    rollback.get(30, TimeUnit.SECONDS);
    assertThat(inDoubt()).as("the rollback rolled the late-prepared branch back").isEmpty();
    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
    assertThatThrownBy(() -> racing.localPhase(gid, "01", conn -> effect(conn, gid, "01"), () -> {}))
        .isInstanceOf(XaActionRefusedException.class);
  }

  @Test
  void rollbackRacingAnInFlightLocalPhaseThatFailsEndsRolledBack() throws Exception {
    String gid = gid();
    XaParticipant racing = participant(b -> b.rollbackLockWait(Duration.ofSeconds(20)).rollbackAttempts(1));
    CountDownLatch inWork = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);

    Future<String> action = pool.submit(() -> racing.localPhase(gid, "01", conn -> {
      effect(conn, gid, "01");
      inWork.countDown();
      assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
      throw new IllegalStateException("business refused late");
    }, () -> {}));
    assertThat(inWork.await(30, TimeUnit.SECONDS)).isTrue();
    Future<?> rollback = pool.submit(() -> {
      racing.rollback(gid, "01");
      return null;
    });
    awaitTrue("the rollback's barrier insert waits for the in-flight branch", () -> barrierInsertWaits(gid));

    release.countDown();

    assertThatThrownBy(() -> action.get(30, TimeUnit.SECONDS)).hasRootCauseMessage("business refused late");
    rollback.get(30, TimeUnit.SECONDS); // one attempt: the insert went through as soon as the branch rolled back
    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
  }

  @Test
  void rollbackThatOutwaitsAnInFlightLocalPhaseIsRetryableAndCompletesOnRetry() throws Exception {
    String gid = gid();
    XaParticipant racing = participant(b -> b.rollbackLockWait(Duration.ofMillis(500)).rollbackAttempts(1));
    CountDownLatch inWork = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);

    Future<String> action = pool.submit(() -> racing.localPhase(gid, "01", conn -> {
      String r = effect(conn, gid, "01");
      inWork.countDown();
      assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
      return r;
    }, () -> {}));
    assertThat(inWork.await(30, TimeUnit.SECONDS)).isTrue();

    // The branch cannot move while its work is blocked, so the bounded wait runs out: a retryable error.
    assertThatThrownBy(() -> racing.rollback(gid, "01"))
        .isInstanceOfSatisfying(XaOperationException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessageContaining("in flight");

    release.countDown();
    assertThat(action.get(30, TimeUnit.SECONDS)).isEqualTo("wrote " + gid);
    assertThat(inDoubt()).containsExactly(new XaBranchId(gid, "01"));

    racing.rollback(gid, "01"); // the coordinator's retry

    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
    assertThat(barrierReason(gid, "01")).isEqualTo("rollback");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The branch handler.

  @Test
  void handleDispatchesOnTheOp() throws Exception {
    String gid = gid();
    AtomicInteger registrations = new AtomicInteger();

    BranchResponse action = participant.handle(request(gid, "01", "action", true),
        conn -> effect(conn, gid, "01"), registrations::incrementAndGet);
    assertThat(action.status()).isEqualTo(200);
    assertThat(registrations).hasValue(1);
    assertThat(inDoubt()).containsExactly(new XaBranchId(gid, "01"));

    assertThat(participant.handle(request(gid, "01", "commit", false), null, null).status()).isEqualTo(200);
    assertThat(effects(gid)).isEqualTo(1);

    String other = gid();
    participant.handle(request(other, "01", "action", true), conn -> effect(conn, other, "01"), () -> {});
    assertThat(participant.handle(request(other, "01", "rollback", false), null, null).status()).isEqualTo(200);
    assertThat(effects(other)).isZero();
  }

  @Test
  void handleAnswersAHangingActionWithFailureAndADuplicateWithSuccess() throws Exception {
    String hanging = gid();
    participant.handle(request(hanging, "01", "rollback", false), null, null);
    AtomicBoolean worked = new AtomicBoolean();
    BranchResponse refused = participant.handle(request(hanging, "01", "action", true), conn -> {
      worked.set(true);
      return null;
    }, () -> {});
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.body()).contains("\"dtm_result\":\"FAILURE\"");

    String committed = gid();
    participant.handle(request(committed, "01", "action", true), conn -> effect(conn, committed, "01"), () -> {});
    participant.handle(request(committed, "01", "commit", false), null, null);
    BranchResponse duplicate = participant.handle(request(committed, "01", "action", true), conn -> {
      worked.set(true);
      return null;
    }, () -> {});
    assertThat(duplicate.status()).isEqualTo(200);
    assertThat(worked).isFalse();
  }

  @Test
  void handleAnswersABusinessRefusalWithFailureAndPreparesNothing() throws Exception {
    String gid = gid();
    BranchResponse response = participant.handle(request(gid, "01", "action", true), conn -> {
      effect(conn, gid, "01");
      throw new BranchFailedException("insufficient balance");
    }, () -> {});

    assertThat(response.status()).isEqualTo(409);
    assertThat(response.body()).contains("insufficient balance");
    assertThat(inDoubt()).isEmpty();
    assertThat(effects(gid)).isZero();
  }

  @Test
  void handleRefusesMalformedCallsWith400AndRunsNothing() throws Exception {
    String gid = gid();
    AtomicBoolean worked = new AtomicBoolean();
    XaWork<Void> work = conn -> {
      worked.set(true);
      return null;
    };

    BranchResponse unknownOp = participant.handle(request(gid, "01", "confirm", true), work, () -> {});
    assertThat(unknownOp.status()).isEqualTo(400);
    assertThat(unknownOp.body()).contains("unknown op 'confirm'");

    BranchResponse noPhase2Url = participant.handle(request(gid, "01", "action", false), work, () -> {});
    assertThat(noPhase2Url.status()).isEqualTo(400);
    assertThat(noPhase2Url.body()).contains("phase2_url");

    Map<String, List<String>> saga = query(gid, "01", "action", true);
    saga.put("trans_type", List.of("saga"));
    BranchResponse wrongType = participant.handle(BranchRequest.of(saga, null, null), work, () -> {});
    assertThat(wrongType.status()).isEqualTo(400);
    assertThat(wrongType.body()).contains("trans_type=saga");

    BranchResponse longGid = participant.handle(request(gid + "x".repeat(64), "01", "action", true), work, () -> {});
    assertThat(longGid.status()).isEqualTo(400);
    assertThat(longGid.body()).contains("gid");

    assertThat(worked).isFalse();
    assertThat(inDoubt()).isEmpty();
    assertThat(barrierReason(gid, "01")).isNull();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Bad input.

  @Test
  void emptyOrOverlongIdsAreRefusedBeforeAnythingIsOpened() throws Exception {
    String gid = gid();
    AtomicBoolean worked = new AtomicBoolean();
    XaWork<Void> work = conn -> {
      worked.set(true);
      return null;
    };
    int openedBefore = dataSource.opened();

    assertThatThrownBy(() -> participant.localPhase("", "01", work, () -> {}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("gid ");
    assertThatThrownBy(() -> participant.localPhase(null, "01", work, () -> {}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("gid ");
    assertThatThrownBy(() -> participant.localPhase(gid + "x".repeat(64), "01", work, () -> {}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("gid ").hasMessageContaining("64");
    assertThatThrownBy(() -> participant.localPhase(gid, "", work, () -> {}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("branch_id ");
    assertThatThrownBy(() -> participant.localPhase(gid, "é".repeat(33), work, () -> {}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("branch_id ")
        .hasMessageContaining("66 bytes");
    assertThatThrownBy(() -> participant.commit(gid, "b".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("branch_id ");
    assertThatThrownBy(() -> participant.rollback("", "01"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("gid ");

    assertThat(worked).isFalse();
    assertThat(dataSource.opened()).as("no connection opened for a bad id").isEqualTo(openedBefore);
    assertThat(inDoubt()).isEmpty();
    assertThat(barrierReason(gid, "01")).isNull();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Helpers.

  String gid() {
    return prefix + gids.incrementAndGet();
  }

  private XaParticipant participant(UnaryOperator<XaParticipant.Builder> options) {
    return options.apply(XaParticipant.builder(dataSource)).build();
  }

  /** This test's branches that are prepared now. */
  private List<XaBranchId> inDoubt() {
    List<XaBranchId> mine = new ArrayList<>();
    for (XaBranchId branch : participant.recover()) {
      if (branch.gid().startsWith(prefix)) {
        mine.add(branch);
      }
    }
    return mine;
  }

  private static String effect(Connection conn, String gid, String branchId) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("insert into " + EFFECTS + "(gid, branch_id, note) values(?, ?, ?)")) {
      ps.setString(1, gid);
      ps.setString(2, branchId);
      ps.setString(3, "xa");
      ps.executeUpdate();
    }
    return "wrote " + gid;
  }

  private int effects(String gid) throws SQLException {
    return count("select count(*) from " + EFFECTS + " where gid = ?", gid);
  }

  private int effects(String gid, String branchId) throws SQLException {
    return count("select count(*) from " + EFFECTS + " where gid = ? and branch_id = ?", gid, branchId);
  }

  private String barrierReason(String gid, String branchId) throws SQLException {
    try (Connection c = plain(); PreparedStatement ps = c.prepareStatement("select reason from "
        + JdbcBarrier.DEFAULT_TABLE + " where trans_type = 'xa' and gid = ? and branch_id = ? and op = 'action'"
        + " and barrier_id = '01'")) {
      ps.setString(1, gid);
      ps.setString(2, branchId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private int count(String sql, String... args) throws SQLException {
    try (Connection c = plain(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setString(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  Connection plain() throws SQLException {
    return DriverManager.getConnection(url());
  }

  private static BranchRequest request(String gid, String branchId, String op, boolean phase2Url) {
    return BranchRequest.of(query(gid, branchId, op, phase2Url), null, null);
  }

  private static Map<String, List<String>> query(String gid, String branchId, String op, boolean phase2Url) {
    Map<String, List<String>> query = new LinkedHashMap<>();
    query.put("gid", List.of(gid));
    query.put("trans_type", List.of("xa"));
    query.put("branch_id", List.of(branchId));
    query.put("op", List.of(op));
    if (phase2Url) {
      query.put(XaParticipant.PHASE2_URL, List.of(PHASE2_URL));
    }
    return query;
  }

  /** Polls {@code condition} until it holds, for at most 20 s. */
  private static void awaitTrue(String what, Check condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting until " + what);
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  @FunctionalInterface
  interface Check {
    boolean holds() throws Exception;
  }
}
