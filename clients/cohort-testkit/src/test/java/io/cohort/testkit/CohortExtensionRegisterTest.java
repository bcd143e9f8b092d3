package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code @RegisterExtension} with options: the servers it starts use them. */
class CohortExtensionRegisterTest {
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  @RegisterExtension
  static CohortExtension cohortExtension = CohortExtension.builder().retryInterval(Duration.ofSeconds(3)).build();

  @Test
  void theCustomRetryIntervalIsTheOneThatCounts(CohortTestServer cohort) throws Exception {
    try (Participant rm = new Participant()) {
      rm.answer("/a1", 500);
      Dtm.submitSaga(cohort, "saga-3s", rm.url("/a1"), "", "", "");
      await().atMost(PATIENCE).until(() -> rm.count("/a1") == 1);
      cohort.awaitIdle("saga-3s", PATIENCE);

      // With the server's default of 10 s, the retry would be 8 to 10 s away; with 3 s it is due now.
      cohort.advance(Duration.ofSeconds(3));
      await().atMost(PATIENCE).until(() -> rm.count("/a1") == 2);
      assertThat(cohort.awaitFinal("saga-3s", PATIENCE)).isEqualTo("succeed");
    }
  }
}
