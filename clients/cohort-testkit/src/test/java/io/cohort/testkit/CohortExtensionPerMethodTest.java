package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code @ExtendWith(CohortExtension.class)}: a fresh server, store and clock for every test method. */
@ExtendWith(CohortExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CohortExtensionPerMethodTest {
  private static CohortTestServer first;

  private final CohortTestServer fromConstructor;
  private CohortTestServer fromBeforeEach;

  CohortExtensionPerMethodTest(CohortTestServer cohort) {
    this.fromConstructor = cohort;
  }

  @BeforeEach
  void remember(CohortTestServer cohort) {
    this.fromBeforeEach = cohort;
  }

  @Test
  @Order(1)
  void oneTestSeesOneServerAndItsClock(CohortTestServer cohort, ManualClock clock) {
    assertThat(cohort).isSameAs(fromConstructor).isSameAs(fromBeforeEach);
    assertThat(clock).isSameAs(cohort.clock());
    assertThat(clock.instant()).isEqualTo(ManualClock.DEFAULT_START);

    Dtm.post(cohort, "submit", """
        {"gid":"left-behind","trans_type":"saga","steps":[{"action":"","compensate":""}],"payloads":["{}"]}""");
    assertThat(cohort.awaitFinal("left-behind", Duration.ofSeconds(10))).isEqualTo("succeed");
    clock.advance(Duration.ofDays(1));
    first = cohort;
  }

  @Test
  @Order(2)
  void theNextTestStartsFromScratch(CohortTestServer cohort, ManualClock clock) {
    assertThat(first).as("the first test ran first").isNotNull();
    assertThat(cohort).isNotSameAs(first).isSameAs(fromConstructor).isSameAs(fromBeforeEach);
    assertThat(cohort.status("left-behind")).isNull();
    assertThat(clock).isNotSameAs(first.clock());
    assertThat(clock.instant()).isEqualTo(ManualClock.DEFAULT_START);
  }
}
