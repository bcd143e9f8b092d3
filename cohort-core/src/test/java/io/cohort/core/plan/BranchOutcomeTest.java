package io.cohort.core.plan;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reference section 2.2: ONGOING first, then FAILURE, then any non-200 is retryable, then 200 is success. */
class BranchOutcomeTest {

  @Test
  void classifiesInDtmOrder() {
    assertThat(BranchOutcome.fromHttp(200, "{\"dtm_result\":\"SUCCESS\"}")).isInstanceOf(BranchOutcome.Succeeded.class);
    assertThat(BranchOutcome.fromHttp(200, null)).isInstanceOf(BranchOutcome.Succeeded.class);
    assertThat(BranchOutcome.fromHttp(425, "")).isInstanceOf(BranchOutcome.Ongoing.class);
    assertThat(BranchOutcome.fromHttp(200, "still ONGOING")).isInstanceOf(BranchOutcome.Ongoing.class);
    assertThat(BranchOutcome.fromHttp(409, "ONGOING")).as("ONGOING is checked first").isInstanceOf(BranchOutcome.Ongoing.class);
    assertThat(BranchOutcome.fromHttp(409, "")).isInstanceOf(BranchOutcome.Failed.class);
    assertThat(BranchOutcome.fromHttp(200, "{\"dtm_result\":\"FAILURE\"}")).isInstanceOf(BranchOutcome.Failed.class);
    assertThat(BranchOutcome.fromHttp(500, "FAILURE")).isInstanceOf(BranchOutcome.Failed.class);
    assertThat(BranchOutcome.fromHttp(500, "oops")).isInstanceOf(BranchOutcome.Unreachable.class);
    assertThat(BranchOutcome.fromHttp(404, "")).isInstanceOf(BranchOutcome.Unreachable.class);
    assertThat(BranchOutcome.fromHttp(200, "failure")).as("case-sensitive").isInstanceOf(BranchOutcome.Succeeded.class);
  }

  @Test
  void messagesNameTheStatusAndAreBounded() {
    BranchOutcome o = BranchOutcome.fromHttp(502, "x".repeat(1000));
    assertThat(o).isInstanceOfSatisfying(BranchOutcome.Unreachable.class, u -> {
      assertThat(u.message()).startsWith("HTTP 502: ");
      assertThat(u.message().length()).isLessThan(230);
    });
  }
}
