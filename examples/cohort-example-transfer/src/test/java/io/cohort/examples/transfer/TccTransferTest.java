package io.cohort.examples.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.client.barrier.BarrierOutcome;
import java.util.Map;

/**
 * The transfer as TCC: the tries freeze the amount in the source and announce it in the target, the confirms move it,
 * the cancels release it. Faults on a try (called by the SDK) abort the transaction, so here the barrier also meets
 * cancels that come before their try (null compensation) and tries that come after their cancel (hanging).
 */
class TccTransferTest extends TransferLoadTest {
  @Override
  TransferMode mode() {
    return TransferMode.TCC;
  }

  @Override
  String debitStep() {
    return "tcc-withdraw-confirm";
  }

  @Override
  String creditStep() {
    return "tcc-deposit-confirm";
  }

  @Override
  void verifyMore(Map<String, Planned> planned, Map<String, String> statuses) {
    Map<BarrierOutcome, Long> pg = postgres.barrierOutcomes();
    Map<BarrierOutcome, Long> maria = mariadb.barrierOutcomes();
    for (BarrierOutcome o : new BarrierOutcome[] {BarrierOutcome.DUPLICATE, BarrierOutcome.NULL_COMPENSATION,
        BarrierOutcome.BLOCKED}) {
      assertThat(pg.get(o) + maria.get(o)).as("barrier outcome " + o).isPositive();
    }
  }
}
