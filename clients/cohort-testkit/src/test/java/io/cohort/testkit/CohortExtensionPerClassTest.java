package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code perClass()}: the tests of a class, and its {@code @BeforeAll}, share one server. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CohortExtensionPerClassTest {
  @RegisterExtension
  static CohortExtension cohortExtension = CohortExtension.builder().perClass().build();

  private static CohortTestServer shared;

  @BeforeAll
  static void startOnce(CohortTestServer cohort) {
    shared = cohort;
  }

  @Test
  @Order(1)
  void theFirstTestLeavesATransactionAndMovesTheClock(CohortTestServer cohort, ManualClock clock) {
    assertThat(cohort).isSameAs(shared);
    Dtm.post(cohort, "submit", """
        {"gid":"kept","trans_type":"saga","steps":[{"action":"","compensate":""}],"payloads":["{}"]}""");
    assertThat(cohort.awaitFinal("kept", Duration.ofSeconds(10))).isEqualTo("succeed");
    clock.advance(Duration.ofMinutes(5));
  }

  @Test
  @Order(2)
  void theSecondTestSeesBoth(CohortTestServer cohort, ManualClock clock) {
    assertThat(cohort).isSameAs(shared);
    assertThat(cohort.status("kept")).isEqualTo("succeed");
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-01-01T00:05:00Z"));
  }
}
