package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Sagas and messages against a real participant on loopback, driven by the manual clock. */
class SagaTest {
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  @Test
  void aTwoStepSagaSucceedsAgainstALoopbackParticipant() throws Exception {
    try (CohortTestServer cohort = CohortTestServer.start(); Participant rm = new Participant()) {
      Dtm.submitSaga(cohort, "saga-ok", rm.url("/a1"), rm.url("/c1"), rm.url("/a2"), rm.url("/c2"));

      assertThat(cohort.awaitFinal("saga-ok", PATIENCE)).isEqualTo("succeed");
      assertThat(cohort.status("saga-ok")).isEqualTo("succeed");
      assertThat(rm.calls()).extracting(Participant.Call::brief).containsExactly("/a1 01 action", "/a2 02 action");
      assertThat(rm.calls()).allSatisfy(c -> {
        assertThat(c.gid()).isEqualTo("saga-ok");
        assertThat(c.method()).isEqualTo("POST");
        assertThat(c.body()).isEqualTo("{\"amount\":30}");
      });
      assertThat(cohort.branches("saga-ok")).containsExactly(
          new BranchView("01", "compensate", "prepared", rm.url("/c1")),
          new BranchView("01", "action", "succeed", rm.url("/a1")),
          new BranchView("02", "compensate", "prepared", rm.url("/c2")),
          new BranchView("02", "action", "succeed", rm.url("/a2")));
    }
  }

  @Test
  void aFailedActionIsRetriedOnlyOnceTheClockPassesTheRetryInterval() throws Exception {
    Duration retry = Duration.ofSeconds(30);
    try (CohortTestServer cohort = CohortTestServer.builder().retryInterval(retry).start();
        Participant rm = new Participant()) {
      rm.answer("/a1", 500);
      Dtm.submitSaga(cohort, "saga-retry", rm.url("/a1"), rm.url("/c1"), rm.url("/a2"), rm.url("/c2"));

      await().atMost(PATIENCE).until(() -> rm.count("/a1") == 1);
      // The first round has recorded the 500 and scheduled the retry from the unmoved clock. From here on nothing
      // runs and nothing is due until the clock moves, so the count must stay at exactly one.
      assertThat(cohort.awaitIdle("saga-retry", PATIENCE)).isEqualTo("submitted");
      await().during(Duration.ofMillis(300)).atMost(PATIENCE).until(() -> rm.count("/a1") == 1);
      assertThat(rm.count("/a2")).isZero();
      assertThat(cohort.branches("saga-retry")).extracting(BranchView::status)
          .containsExactly("prepared", "prepared", "prepared", "prepared");

      // Retries are jittered to between 80% and 100% of the interval: half of it is never enough.
      cohort.advance(retry.dividedBy(2));
      await().during(Duration.ofMillis(300)).atMost(PATIENCE).until(() -> rm.count("/a1") == 1);
      assertThat(cohort.status("saga-retry")).isEqualTo("submitted");

      cohort.advance(retry.dividedBy(2));
      await().atMost(PATIENCE).until(() -> rm.count("/a1") == 2);
      assertThat(cohort.awaitFinal("saga-retry", PATIENCE)).isEqualTo("succeed");
      assertThat(rm.calls()).extracting(Participant.Call::brief)
          .containsExactly("/a1 01 action", "/a1 01 action", "/a2 02 action");
    }
  }

  @Test
  void aPreparedMsgIsCheckedBackOnlyOnceTheClockPassesTimeoutToFail() throws Exception {
    Duration timeoutToFail = Duration.ofMinutes(2);
    try (CohortTestServer cohort = CohortTestServer.builder().timeoutToFail(timeoutToFail).start();
        Participant rm = new Participant()) {
      Dtm.prepareMsg(cohort, "msg-quiet", rm.url("/deliver"), rm.url("/check"));
      assertThat(cohort.awaitIdle("msg-quiet", PATIENCE)).isEqualTo("prepared");

      // One millisecond short of its age limit, the message is not due: no check-back however long we wait.
      cohort.advance(timeoutToFail.minusMillis(1));
      await().during(Duration.ofMillis(300)).atMost(PATIENCE).until(() -> rm.calls().isEmpty());
      assertThat(cohort.status("msg-quiet")).isEqualTo("prepared");

      cohort.advance(Duration.ofMillis(1));
      await().atMost(PATIENCE).until(() -> rm.count("/check") == 1);
      // The check-back answered SUCCESS: the message is submitted and delivered.
      assertThat(cohort.awaitFinal("msg-quiet", PATIENCE)).isEqualTo("succeed");
      assertThat(rm.calls()).extracting(Participant.Call::brief).containsExactly("/check 00 msg", "/deliver 01 action");
      assertThat(rm.calls().getFirst().method()).isEqualTo("GET");
    }
  }

  @Test
  void awaitStatusSeesEachStatusOfASagaThatIsHeldUp() throws Exception {
    try (CohortTestServer cohort = CohortTestServer.start(); Participant rm = new Participant()) {
      rm.answer("/a1", 503);
      Dtm.submitSaga(cohort, "saga-held", rm.url("/a1"), rm.url("/c1"), "", "");
      cohort.awaitStatus("saga-held", "submitted", PATIENCE);
      cohort.awaitIdle("saga-held", PATIENCE);
      cohort.advance(Duration.ofSeconds(10)); // the server's default retry interval
      cohort.awaitStatus("saga-held", "succeed", PATIENCE);
      assertThat(rm.count("/a1")).isEqualTo(2);
    }
  }

  @Test
  void unknownGidsHaveNoStatusAndNoBranches() {
    try (CohortTestServer cohort = CohortTestServer.start()) {
      assertThat(cohort.status("nobody")).isNull();
      assertThat(cohort.branches("nobody")).isEmpty();
    }
  }
}
