package io.cohort.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The barrier contract, run against every back end by a one-class subclass. Each test uses fresh gids (a per-run
 * random prefix), so reruns against the same database or Redis never collide.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BarrierContractTest {
  private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
  private static final AtomicInteger SEQ = new AtomicInteger();

  /** How the business behind the barrier behaves. */
  enum Business {
    OK,
    /** Throws after doing its effect (a back end with transactions must roll the effect back). */
    FAIL,
    /** Takes a few milliseconds, to widen race windows. */
    SLOW
  }

  /** Opens connections / clients and creates the schema with ensureSchema. */
  abstract void open() throws Exception;

  abstract void close() throws Exception;

  /**
   * Runs one branch request behind {@code barrier}; the business records one effect for (gid, op) in the same
   * unit of work as the barrier, and the unit is completed (committed) unless the business failed.
   */
  abstract BarrierOutcome branch(BranchBarrier barrier, Business business) throws Exception;

  /** How many business effects were recorded (and kept) for (gid, op). */
  abstract int effects(String gid, String op) throws Exception;

  abstract boolean queryPrepared(String gid) throws Exception;

  @BeforeAll
  void setUp() throws Exception {
    open();
  }

  @AfterAll
  void tearDown() throws Exception {
    close();
  }

  static String newGid() {
    return "bt-" + RUN + "-" + SEQ.incrementAndGet();
  }

  static BranchBarrier tcc(String gid, String op) {
    return BranchBarrier.of("tcc", gid, "01", op);
  }

  @Test
  void tryThenConfirmRunsEachOnce() throws Exception {
    String gid = newGid();
    assertThat(branch(tcc(gid, "try"), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(branch(tcc(gid, "confirm"), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(effects(gid, "try")).isEqualTo(1);
    assertThat(effects(gid, "confirm")).isEqualTo(1);
  }

  @Test
  void duplicateConfirmRunsTheBusinessOnce() throws Exception {
    String gid = newGid();
    branch(tcc(gid, "try"), Business.OK);
    assertThat(branch(tcc(gid, "confirm"), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(branch(tcc(gid, "confirm"), Business.OK)).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(branch(tcc(gid, "confirm"), Business.OK)).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(effects(gid, "confirm")).isEqualTo(1);
  }

  @Test
  void tryThenCancelCompensates() throws Exception {
    String gid = newGid();
    branch(tcc(gid, "try"), Business.OK);
    assertThat(branch(tcc(gid, "cancel"), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(branch(tcc(gid, "cancel"), Business.OK)).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(effects(gid, "cancel")).isEqualTo(1);
  }

  @Test
  void cancelBeforeTryIsNullCompensationAndBlocksTheLateTry() throws Exception {
    String gid = newGid();
    assertThat(branch(tcc(gid, "cancel"), Business.OK)).isEqualTo(BarrierOutcome.NULL_COMPENSATION);
    assertThat(effects(gid, "cancel")).isZero();
    assertThat(branch(tcc(gid, "try"), Business.OK)).isEqualTo(BarrierOutcome.BLOCKED);
    assertThat(effects(gid, "try")).isZero();
    assertThat(branch(tcc(gid, "cancel"), Business.OK)).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(effects(gid, "cancel")).isZero();
  }

  @Test
  void sagaCompensateBeforeActionIsNullCompensation() throws Exception {
    String gid = newGid();
    assertThat(branch(BranchBarrier.of("saga", gid, "01", "compensate"), Business.OK))
        .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
    assertThat(branch(BranchBarrier.of("saga", gid, "01", "action"), Business.OK)).isEqualTo(BarrierOutcome.BLOCKED);
    assertThat(effects(gid, "action")).isZero();
  }

  @Test
  void workflowRollbackBeforeActionIsNullCompensation() throws Exception {
    String gid = newGid();
    assertThat(branch(BranchBarrier.of("workflow", gid, "02", "rollback"), Business.OK))
        .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
    assertThat(branch(BranchBarrier.of("workflow", gid, "02", "action"), Business.OK))
        .isEqualTo(BarrierOutcome.BLOCKED);
  }

  @Test
  void branchesOfOneTransactionAreIndependent() throws Exception {
    String gid = newGid();
    assertThat(branch(BranchBarrier.of("tcc", gid, "01", "cancel"), Business.OK))
        .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
    assertThat(branch(BranchBarrier.of("tcc", gid, "02", "try"), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
  }

  @Test
  void failedBusinessLeavesNoBarrierSoTheRetryRuns() throws Exception {
    String gid = newGid();
    try {
      branch(tcc(gid, "try"), Business.FAIL);
    } catch (IllegalStateException expected) {
      // the business's own failure
    }
    assertThat(branch(tcc(gid, "try"), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(effects(gid, "try")).isEqualTo(1);
  }

  @Test
  void tryAndCancelAtTheSameMomentNeverDisagree() throws Exception {
    int rounds = 60;
    int executedBoth = 0;
    int nullCompensated = 0;
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int i = 0; i < rounds; i++) {
        String gid = newGid();
        CountDownLatch start = new CountDownLatch(1);
        Future<BarrierOutcome> tryCall = pool.submit(() -> {
          start.await();
          return branch(tcc(gid, "try"), Business.SLOW);
        });
        Future<BarrierOutcome> cancelCall = pool.submit(() -> {
          start.await();
          if (ThreadLocalRandom.current().nextBoolean()) {
            Thread.sleep(ThreadLocalRandom.current().nextInt(3));
          }
          return branch(tcc(gid, "cancel"), Business.OK);
        });
        start.countDown();
        BarrierOutcome tried = tryCall.get(30, TimeUnit.SECONDS);
        BarrierOutcome cancelled = cancelCall.get(30, TimeUnit.SECONDS);
        int tryEffects = effects(gid, "try");
        int cancelEffects = effects(gid, "cancel");
        if (tried == BarrierOutcome.EXECUTED) {
          assertThat(cancelled).as("round %d", i).isEqualTo(BarrierOutcome.EXECUTED);
          assertThat(List.of(tryEffects, cancelEffects)).as("round %d", i).containsExactly(1, 1);
          executedBoth++;
        } else {
          assertThat(tried).as("round %d", i).isEqualTo(BarrierOutcome.BLOCKED);
          assertThat(cancelled).as("round %d", i).isEqualTo(BarrierOutcome.NULL_COMPENSATION);
          assertThat(List.of(tryEffects, cancelEffects)).as("round %d", i).containsExactly(0, 0);
          nullCompensated++;
        }
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(executedBoth + nullCompensated).isEqualTo(rounds);
  }

  @Test
  void severalLocalTransactionsInOneHandlerGetTheirOwnBarrierIds() throws Exception {
    String gid = newGid();
    List<BarrierOutcome> outcomes = new ArrayList<>();
    BranchBarrier first = tcc(gid, "try");
    outcomes.add(branch(first, Business.OK));
    outcomes.add(branch(first, Business.OK));
    assertThat(outcomes).containsExactly(BarrierOutcome.EXECUTED, BarrierOutcome.EXECUTED);
    BranchBarrier retried = tcc(gid, "try");
    assertThat(branch(retried, Business.OK)).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(branch(retried, Business.OK)).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(branch(retried, Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
  }

  @Test
  void msgCheckBackBeforeTheLocalTransactionRollsItBack() throws Exception {
    String gid = newGid();
    assertThat(queryPrepared(gid)).isFalse();
    assertThat(branch(BranchBarrier.forMsg(gid), Business.OK)).isEqualTo(BarrierOutcome.BLOCKED);
    assertThat(effects(gid, "msg")).isZero();
    assertThat(queryPrepared(gid)).isFalse();
  }

  @Test
  void msgCheckBackAfterTheLocalTransactionCommittedSucceeds() throws Exception {
    String gid = newGid();
    assertThat(branch(BranchBarrier.forMsg(gid), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(queryPrepared(gid)).isTrue();
    assertThat(queryPrepared(gid)).isTrue();
    assertThat(branch(BranchBarrier.forMsg(gid), Business.OK)).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(effects(gid, "msg")).isEqualTo(1);
  }

  @Test
  void msgCheckBackAfterAFailedLocalTransactionRollsBack() throws Exception {
    String gid = newGid();
    try {
      branch(BranchBarrier.forMsg(gid), Business.FAIL);
    } catch (IllegalStateException expected) {
      // the business's own failure
    }
    assertThat(queryPrepared(gid)).isFalse();
  }
}
