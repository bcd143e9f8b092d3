package io.cohort.examples.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.client.barrier.BarrierOutcome;
import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.JdbcBarrier;
import io.cohort.client.msg.Msg;
import io.cohort.testkit.CohortTestServer;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The transfer as a 2-phase message: the source bank withdraws in its local transaction, the coordinator delivers the
 * deposit. Besides the participant faults, some transfers play a sender that dies half-way, so that the coordinator
 * has to ask the source bank's check-back: one that dies after preparing the message but before its local
 * transaction (the check-back answers "rolled back", the transfer fails), and one that dies after the local commit but
 * before the submit (the check-back answers "committed", the deposit is delivered).
 */
class MsgTransferTest extends TransferLoadTest {
  private static final double CRASH_RATE = 0.03;
  private final Set<String> diedBeforeCommit = ConcurrentHashMap.newKeySet();
  private final Map<String, Boolean> diedAfterCommit = new ConcurrentHashMap<>();

  @Override
  TransferMode mode() {
    return TransferMode.MSG;
  }

  @Override
  String debitStep() {
    return "msg-withdraw";
  }

  @Override
  String creditStep() {
    return "msg-deposit";
  }

  @Override
  CohortTestServer.Builder configure(CohortTestServer.Builder coordinator) {
    // A message not submitted within 3 s is checked back; a sender that did not die submits in milliseconds.
    return coordinator.timeoutToFail(Duration.ofSeconds(3));
  }

  @Override
  Transfers.Started start(Transfers transfers, Bank source, Bank target, Transfer transfer, Random random) {
    double x = random.nextDouble();
    if (x >= 2 * CRASH_RATE) {
      return super.start(transfers, source, target, transfer, random);
    }
    Msg msg = transfers.message(source, target, transfer);
    msg.prepare();
    if (x < CRASH_RATE) {
      diedBeforeCommit.add(msg.gid());
      return new Transfers.Started(msg.gid(), "the sender died before its local transaction");
    }
    boolean committed;
    try {
      JdbcBarrier.defaults().callInTransaction(source.dataSource(), BranchBarrier.forMsg(msg.gid()),
          source.msgWithdraw(msg.gid(), transfer));
      committed = true;
    } catch (BranchFailedException e) {
      committed = false; // the business refused: rolled back, as if the sender had died before the commit
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    diedAfterCommit.put(msg.gid(), committed);
    return new Transfers.Started(msg.gid(), "the sender died after its local transaction");
  }

  @Override
  void verifyMore(Map<String, Planned> planned, Map<String, String> statuses) {
    System.out.printf("msg: senders died before the local commit %d times, after it %d times%n",
        diedBeforeCommit.size(), diedAfterCommit.size());
    assertThat(diedBeforeCommit).as("senders that died before the local commit").isNotEmpty();
    assertThat(diedAfterCommit).as("senders that died after the local commit").isNotEmpty();
    diedBeforeCommit.forEach(gid -> assertThat(statuses.get(gid)).as(gid + ": died before commit").isEqualTo("failed"));
    diedAfterCommit.forEach((gid, committed) -> assertThat(statuses.get(gid))
        .as(gid + ": died after a local transaction that " + (committed ? "committed" : "was refused"))
        .isEqualTo(committed ? "succeed" : "failed"));
    Map<BarrierOutcome, Long> pg = postgres.barrierOutcomes();
    Map<BarrierOutcome, Long> maria = mariadb.barrierOutcomes();
    assertThat(pg.get(BarrierOutcome.DUPLICATE) + maria.get(BarrierOutcome.DUPLICATE)).as("duplicates absorbed")
        .isPositive();
  }
}
