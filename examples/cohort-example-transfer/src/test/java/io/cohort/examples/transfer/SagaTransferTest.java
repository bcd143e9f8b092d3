package io.cohort.examples.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.client.barrier.BarrierOutcome;
import java.util.Map;

/** The transfer as a saga: withdraw (compensated by a credit back), then deposit. */
class SagaTransferTest extends TransferLoadTest {
  @Override
  TransferMode mode() {
    return TransferMode.SAGA;
  }

  @Override
  String debitStep() {
    return "saga-withdraw";
  }

  @Override
  String creditStep() {
    return "saga-deposit";
  }

  @Override
  void verifyMore(Map<String, Planned> planned, Map<String, String> statuses) {
    Map<BarrierOutcome, Long> pg = postgres.barrierOutcomes();
    Map<BarrierOutcome, Long> maria = mariadb.barrierOutcomes();
    // Repeated deliveries (a 500 after the work, a late run after a timeout, a second delivery) were skipped, and a
    // refused withdrawal's compensation found nothing to undo.
    assertThat(pg.get(BarrierOutcome.DUPLICATE) + maria.get(BarrierOutcome.DUPLICATE)).as("duplicates absorbed")
        .isPositive();
    assertThat(pg.get(BarrierOutcome.NULL_COMPENSATION) + maria.get(BarrierOutcome.NULL_COMPENSATION))
        .as("null compensations").isPositive();
  }
}
