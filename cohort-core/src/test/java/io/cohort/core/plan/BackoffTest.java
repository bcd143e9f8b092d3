package io.cohort.core.plan;

import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.saga;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.GlobalStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final PlanSettings S = new PlanSettings(Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(100),
      Duration.ofSeconds(35));

  static Transaction fresh(TransOptions o) {
    return saga(1, o, GlobalStatus.SUBMITTED, T0);
  }

  @Test
  void baseIsTheTransactionsIntervalOrTheServerDefault() {
    assertThat(Backoff.base(fresh(TransOptions.DEFAULTS), S)).isEqualTo(Duration.ofSeconds(10));
    assertThat(Backoff.base(fresh(opts().retryInterval(Duration.ofSeconds(2)).build()), S))
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void consecutiveErrorsDoubleUpToTheCap() {
    Transaction t = fresh(TransOptions.DEFAULTS);
    long[] expected = {10, 20, 40, 80, 100, 100, 100};
    for (int i = 0; i < expected.length; i++) {
      t = Backoff.afterError(t, T0, S);
      assertThat(t.retryInterval()).as("after error %d", i + 1).isEqualTo(Duration.ofSeconds(expected[i]));
      assertThat(t.failures()).isEqualTo(i + 1);
      Duration wait = Duration.between(T0, t.nextWake());
      assertThat(wait).isBetween(t.retryInterval().multipliedBy(8).dividedBy(10), t.retryInterval());
    }
  }

  @Test
  void aBaseAboveTheCapIsNotCutBelowTheBase() {
    Transaction t = fresh(opts().retryInterval(Duration.ofSeconds(500)).build());
    t = Backoff.afterError(Backoff.afterError(t, T0, S), T0, S);
    assertThat(t.retryInterval()).isEqualTo(Duration.ofSeconds(500));
  }

  @Test
  void ongoingKeepsTheCurrentIntervalAndFailureCount() {
    Transaction t = Backoff.afterError(Backoff.afterError(fresh(TransOptions.DEFAULTS), T0, S), T0, S);
    Transaction o = Backoff.afterOngoing(t, T0, S);
    assertThat(o.retryInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(o.failures()).isEqualTo(2);
    assertThat(o.nextWake()).isEqualTo(T0.plusSeconds(20));
  }

  @Test
  void resetGoesBackToTheBase() {
    Transaction t = Backoff.afterError(Backoff.afterError(fresh(TransOptions.DEFAULTS), T0, S), T0, S);
    Transaction r = Backoff.reset(t, S);
    assertThat(r.failures()).isZero();
    assertThat(r.retryInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(r.nextWake()).as("reset leaves the wake time to the caller").isEqualTo(t.nextWake());
    Transaction clean = fresh(TransOptions.DEFAULTS);
    assertThat(Backoff.reset(clean, S)).isSameAs(clean);
  }

  @Test
  void jitterStaysWithinEightyToHundredPercentAndSpreads() {
    Duration d = Duration.ofSeconds(100);
    Set<Long> seen = new HashSet<>();
    for (int g = 0; g < 2000; g++) {
      for (int attempt = 1; attempt < 5; attempt++) {
        Duration j = Backoff.jitter(d, "gid-" + g, attempt);
        assertThat(j).isBetween(Duration.ofSeconds(80), d);
        seen.add(j.toSeconds());
      }
    }
    // All 21 whole seconds from 80 to 100 occur: the factor really spreads over the range.
    assertThat(seen).hasSizeGreaterThanOrEqualTo(20);
    assertThat(Backoff.jitter(d, "same", 3)).as("deterministic").isEqualTo(Backoff.jitter(d, "same", 3));
  }
}
