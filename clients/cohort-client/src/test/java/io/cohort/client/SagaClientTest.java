package io.cohort.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.saga.Saga;
import io.cohort.client.testing.CoordinatorFixture;
import io.cohort.client.testing.LoopbackParticipant;
import io.cohort.protocol.GlobalStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The saga builder against a real in-process coordinator and a loopback participant. */
class SagaClientTest extends CoordinatorFixture {
  record Transfer(String account, long amount) {
  }

  @Test
  void aTwoStepSagaRunsEveryActionWithItsPayloadAndSucceeds() {
    String gid = client.saga()
        .add(bank.url("/withdraw"), bank.url("/withdraw-undo"), new Transfer("alice", 30))
        .add(bank.url("/deposit"), bank.url("/deposit-undo"), new Transfer("bob", 30))
        .submit();

    TransactionInfo done = client.awaitFinal(gid, Duration.ofSeconds(10));
    assertThat(done.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(bank.calls()).extracting(LoopbackParticipant.Call::path).containsExactly("/withdraw", "/deposit");
    LoopbackParticipant.Call first = bank.callsTo("/withdraw").get(0);
    assertThat(first.gid()).isEqualTo(gid);
    assertThat(first.transType()).isEqualTo("saga");
    assertThat(first.branchId()).isEqualTo("01");
    assertThat(first.op()).isEqualTo("action");
    assertThat(first.body()).isEqualTo("{\"account\":\"alice\",\"amount\":30}");
    assertThat(bank.callsTo("/deposit").get(0).branchId()).isEqualTo("02");
  }

  @Test
  void aFailingActionCompensatesTheStartedStepsInReverseAndWaitResultReportsIt() {
    bank.on("/deposit", r -> {
      throw new BranchFailedException("account closed");
    });
    Saga saga = client.saga()
        .add(bank.url("/withdraw"), bank.url("/withdraw-undo"), new Transfer("alice", 30))
        .add(bank.url("/deposit"), bank.url("/deposit-undo"), new Transfer("bob", 30))
        .waitResult(true);

    assertThatThrownBy(saga::submit).isInstanceOf(TransactionFailedException.class)
        .hasMessageContaining(saga.gid())
        .satisfies(e -> assertThat(((CohortClientException) e).retryable()).isFalse());

    TransactionInfo done = client.awaitFinal(saga.gid(), Duration.ofSeconds(10));
    assertThat(done.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(done.rollbackReason()).contains("account closed");
    // The failed deposit is compensated too (the barrier makes that a null compensation), then the withdrawal.
    assertThat(bank.calls()).extracting(LoopbackParticipant.Call::path)
        .containsExactly("/withdraw", "/deposit", "/deposit-undo", "/withdraw-undo");
  }

  @Test
  void aConcurrentSagaStartsAStepOnlyAfterTheStepsItWaitsFor() throws Exception {
    CountDownLatch bothStarted = new CountDownLatch(2);
    bank.on("/a", r -> {
      bothStarted.countDown();
      // Both independent steps must be in flight at once: a sequential saga would never release this latch.
      assertThat(bothStarted.await(5, TimeUnit.SECONDS)).isTrue();
      return null;
    });
    bank.on("/b", r -> {
      bothStarted.countDown();
      assertThat(bothStarted.await(5, TimeUnit.SECONDS)).isTrue();
      return null;
    });
    String gid = client.saga()
        .add(bank.url("/a"), "", Map.of())
        .add(bank.url("/b"), "", Map.of())
        .add(bank.url("/c"), "", Map.of())
        .after(2, 0, 1)
        .submit();

    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    List<String> order = bank.calls().stream().map(LoopbackParticipant.Call::path).toList();
    assertThat(order).hasSize(3).endsWith("/c");
  }

  @Test
  void transactionOptionsTravelOnTheWire() {
    String gid = client.saga()
        .add(bank.url("/withdraw"), "", Map.of("n", 1))
        .branchHeader("X-Tenant", "acme")
        .requestTimeout(Duration.ofSeconds(2))
        .retryLimit(3)
        .timeoutToFail(Duration.ofSeconds(60))
        .retryInterval(Duration.ofSeconds(5))
        .submit();

    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    LoopbackParticipant.Call call = bank.callsTo("/withdraw").get(0);
    assertThat(call.header("X-Tenant")).isEqualTo("acme");
    // The coordinator tells the participant how long this call may take: the transaction's request timeout.
    assertThat(call.header("Cohort-Timeout")).isEqualTo("2000");
  }

  @Test
  void aSagaIsRetriedByTheCoordinatorUntilItsActionSucceeds() {
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    bank.on("/flaky", r -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("database restarting");
      }
      return null;
    });
    String gid = client.saga().add(bank.url("/flaky"), "", Map.of()).retryInterval(Duration.ofSeconds(5)).submit();

    cohort.awaitIdle(gid, Duration.ofSeconds(10));
    assertThat(calls).hasValue(1);
    assertThat(cohort.status(gid)).isEqualTo("submitted");
    cohort.advance(Duration.ofSeconds(11)); // past the doubled backoff
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(calls).hasValue(2);
  }

  // ---- bad input: a clear exception, and nothing reaches the coordinator ----

  @Test
  void aPayloadThatCannotBeSerializedIsRefusedAtAddAndNothingIsStored() {
    Saga saga = client.saga();
    Object unserializable = new Object() {
      // no properties: Jackson refuses an empty bean
    };
    assertThatThrownBy(() -> saga.add(bank.url("/a"), "", unserializable))
        .isInstanceOf(PayloadSerializationException.class)
        .hasMessageContaining("step 0 payload")
        .hasMessageContaining("cannot serialize");
    assertThat(client.query(saga.gid())).isEmpty();
  }

  @Test
  void badUrlsDurationsAndOrderingsAreRefusedBeforeAnythingIsSent() {
    Saga saga = client.saga();
    assertThatThrownBy(() -> saga.add("ftp://x/a", "", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("step 0 action must be an absolute http(s) URL");
    assertThatThrownBy(() -> saga.add("http://x/a", "not a url", 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("step 0 compensate");
    assertThatThrownBy(() -> saga.timeoutToFail(Duration.ofMillis(1500))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("whole number of seconds");
    assertThatThrownBy(() -> saga.retryLimit(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> saga.branchHeader("Bad Name", "v")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> saga.branchHeader("X-A", "line\r\nbreak")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(saga::submit).isInstanceOf(IllegalStateException.class).hasMessageContaining("at least one step");

    saga.add(bank.url("/a"), "", 1).add(bank.url("/b"), "", 2).after(0, 1).after(1, 0);
    assertThatThrownBy(saga::submit).isInstanceOf(IllegalStateException.class).hasMessageContaining("cycle");
    Saga other = client.saga().add(bank.url("/a"), "", 1).after(0, 5);
    assertThatThrownBy(other::submit).isInstanceOf(IllegalStateException.class).hasMessageContaining("does not exist");
    assertThat(client.query(saga.gid())).isEmpty();
    assertThat(client.query(other.gid())).isEmpty();
    assertThat(bank.calls()).isEmpty();
  }

  @Test
  void badGidsAreRefused() {
    assertThatThrownBy(() -> client.saga("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gid");
    assertThatThrownBy(() -> client.saga("a\nb")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.saga("x".repeat(129))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("128");
  }

  @Test
  void aSagaCannotBeSubmittedTwiceFromTheSameBuilder() {
    Saga saga = client.saga().add(bank.url("/a"), "", 1);
    saga.submit();
    assertThatThrownBy(saga::submit).isInstanceOf(IllegalStateException.class).hasMessageContaining("already");
    assertThatThrownBy(() -> saga.add(bank.url("/b"), "", 1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theCoordinatorsRefusalArrivesWithItsStatusAndMessage() {
    String gid = client.saga().add(bank.url("/a"), "", 1).waitResult(true).submit();
    // The same gid again, now finished: the coordinator answers 409 and the SDK reports the saga as failed to submit.
    assertThatThrownBy(() -> client.saga(gid).add(bank.url("/a"), "", 1).submit())
        .isInstanceOf(TransactionFailedException.class)
        .cause().isInstanceOf(CoordinatorException.class)
        .satisfies(e -> assertThat(((CoordinatorException) e).httpStatus()).isEqualTo(409));
  }
}
