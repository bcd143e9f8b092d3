package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.server.config.ConfigException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The server's accessors and the errors users get when they hold it wrong. */
class CohortTestServerTest {

  @Test
  void listensOnLoopbackAndNamesItsUrlsTheWaySdksTakeThem() {
    try (CohortTestServer cohort = CohortTestServer.start()) {
      assertThat(cohort.port()).isPositive();
      assertThat(cohort.hostPort()).isEqualTo("127.0.0.1:" + cohort.port());
      assertThat(cohort.baseUrl()).isEqualTo("http://127.0.0.1:" + cohort.port() + "/api/dtmsvr");
      Dtm.post(cohort, "submit", """
          {"gid":"empty-steps","trans_type":"saga","steps":[{"action":"","compensate":""}],"payloads":["{}"]}""");
      assertThat(cohort.awaitFinal("empty-steps", Duration.ofSeconds(10))).isEqualTo("succeed");
    }
  }

  @Test
  void runsOnTheClockItIsGivenAndAdvanceMovesIt() {
    ManualClock clock = new ManualClock(Instant.parse("2031-01-01T00:00:00Z"));
    try (CohortTestServer cohort = CohortTestServer.builder().clock(clock).start()) {
      assertThat(cohort.clock()).isSameAs(clock);
      assertThat(cohort.advance(Duration.ofHours(1))).isEqualTo(Instant.parse("2031-01-01T01:00:00Z"));
      assertThat(clock.instant()).isEqualTo(Instant.parse("2031-01-01T01:00:00Z"));
    }
  }

  @Test
  void aRealClockServerHasNoManualClock() {
    try (CohortTestServer cohort = CohortTestServer.builder().realClock().start()) {
      assertThatThrownBy(cohort::clock)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("runs on the real clock");
      assertThatThrownBy(() -> cohort.advance(Duration.ofSeconds(1)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("runs on the real clock");
      Dtm.post(cohort, "submit", """
          {"gid":"real-time","trans_type":"saga","steps":[{"action":"","compensate":""}],"payloads":["{}"]}""");
      assertThat(cohort.awaitFinal("real-time", Duration.ofSeconds(10))).isEqualTo("succeed");
    }
  }

  @Test
  void refusesANegativeAdvance() {
    try (CohortTestServer cohort = CohortTestServer.start()) {
      assertThatThrownBy(() -> cohort.advance(Duration.ofSeconds(-5)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("only moves forward");
      assertThat(cohort.clock().instant()).isEqualTo(ManualClock.DEFAULT_START);
    }
  }

  @Test
  void refusesUnknownKeysAndBadDurationsUpFront() {
    assertThatThrownBy(() -> CohortTestServer.builder().property("engine.retry-intervall", "1s"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("unknown server configuration key 'engine.retry-intervall'; known keys: ")
        .hasMessageContaining("engine.retry-interval");
    assertThatThrownBy(() -> CohortTestServer.builder().retryInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retryInterval must be a positive whole number of milliseconds; got PT0S");
    assertThatThrownBy(() -> CohortTestServer.builder().timeoutToFail(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("timeoutToFail must be a positive");
  }

  @Test
  void aBadPropertyValueFailsTheStartNamingTheKey() {
    assertThatThrownBy(() -> CohortTestServer.builder().property("engine.request-timeout", "soon").start())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("engine.request-timeout")
        .hasMessageContaining("must be a duration");
  }

  @Test
  void aRetryIntervalAboveTheDefaultBackoffCapRaisesTheCap() {
    try (CohortTestServer cohort = CohortTestServer.builder().retryInterval(Duration.ofMinutes(20)).start()) {
      assertThat(cohort.port()).isPositive();
    }
  }

  @Test
  void awaitingAStatusThatIsNotOneIsATypoNotATimeout() {
    try (CohortTestServer cohort = CohortTestServer.start()) {
      assertThatThrownBy(() -> cohort.awaitStatus("g", "success", Duration.ofSeconds(1)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'success' is not a global status");
    }
  }

  @Test
  void aTimedOutWaitSaysWhatItLastSaw() throws Exception {
    try (CohortTestServer cohort = CohortTestServer.start(); Participant rm = new Participant()) {
      rm.answer("/a1", 500);
      Dtm.submitSaga(cohort, "saga-stuck", rm.url("/a1"), "", "", "");
      cohort.awaitIdle("saga-stuck", Duration.ofSeconds(10));
      assertThatThrownBy(() -> cohort.awaitFinal("saga-stuck", Duration.ofMillis(50)))
          .isInstanceOf(AssertionError.class)
          .hasMessageStartingWith("transaction 'saga-stuck' did not reach a final status within PT0.05S; "
              + "last seen status 'submitted', branches [");
      assertThatThrownBy(() -> cohort.awaitStatus("nobody", "succeed", Duration.ofMillis(20)))
          .isInstanceOf(AssertionError.class)
          .hasMessage("transaction 'nobody' did not reach status 'succeed' within PT0.02S; "
              + "the coordinator does not know this gid");
    }
  }

  @Test
  void closeIsIdempotent() {
    CohortTestServer cohort = CohortTestServer.start();
    cohort.close();
    cohort.close();
  }
}
