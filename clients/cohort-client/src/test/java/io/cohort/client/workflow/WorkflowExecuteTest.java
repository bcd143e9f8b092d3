package io.cohort.client.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.client.CohortClient;
import io.cohort.client.TransactionFailedException;
import io.cohort.client.TransactionInfo;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.context.CohortContext;
import io.cohort.protocol.GlobalStatus;
import io.cohort.testkit.BranchView;
import io.cohort.testkit.CohortTestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Workflows end to end: a real in-process coordinator (manual clock, default 10 s retry interval) and the resume
 * endpoint on loopback HTTP.
 */
class WorkflowExecuteTest {
  static final Duration WAIT = Duration.ofSeconds(10);
  static final Duration PAST_RETRY_INTERVAL = Duration.ofSeconds(11);

  record Transfer(String from, String to, int amount) {}

  record Receipt(String branchId, int amount) {}

  private CohortTestServer cohort;
  private CohortClient client;
  private ResumeEndpoint endpoint;
  private Workflows workflows;
  private final List<String> log = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    cohort = CohortTestServer.start();
    client = CohortClient.create(cohort.baseUrl());
    endpoint = new ResumeEndpoint();
    workflows = Workflows.create(client, endpoint.url());
    endpoint.mount(workflows.resumeHandler());
  }

  @AfterEach
  void tearDown() {
    endpoint.close();
    client.close();
    cohort.close();
  }

  @Test
  void allStepsSucceedAndEachIsRecordedAtTheCoordinator() {
    workflows.register("transfer", wf -> {
      Transfer t = wf.input(Transfer.class);
      String debit = wf.step(bb -> {
        log.add("debit " + bb.gid() + " " + bb.branchId() + " " + bb.op());
        return "debited " + t.amount();
      });
      Receipt credit = wf.step(Receipt.class, bb -> new Receipt(bb.branchId(), t.amount()));
      log.add("resume=" + wf.isResume());
      return new Receipt(debit + " / " + credit.branchId(), credit.amount());
    });
    String gid = client.newGid();

    WorkflowResult result = workflows.execute("transfer", gid, new Transfer("alice", "bob", 30));

    assertThat(result.succeeded()).isTrue();
    assertThat(result.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(result.result(Receipt.class)).isEqualTo(new Receipt("debited 30 / 02", 30));
    assertThat(result.orThrow()).isSameAs(result);
    assertThat(log).containsExactly("debit " + gid + " 01 action", "resume=false");
    assertThat(cohort.status(gid)).isEqualTo("succeed");
    assertThat(cohort.branches(gid)).containsExactly(
        new BranchView("01", "action", "succeed", ""),
        new BranchView("02", "action", "succeed", ""));
    JsonNode recorded = endpoint.query(cohort.baseUrl(), gid);
    assertThat(text(recorded.at("/branches/0/bin_data"))).isEqualTo("debited 30");
    assertThat(text(recorded.at("/branches/1/bin_data"))).isEqualTo("{\"branchId\":\"02\",\"amount\":30}");
    assertThat(text(recorded.at("/transaction/result"))).isEqualTo("{\"branchId\":\"debited 30 / 02\",\"amount\":30}");
    assertThat(recorded.at("/transaction/query_prepared").asText()).isEqualTo(endpoint.url());
    assertThat(recorded.at("/transaction/custom_data").asText())
        .isEqualTo("{\"name\":\"transfer\",\"data\":\"" + b64("{\"from\":\"alice\",\"to\":\"bob\",\"amount\":30}")
            + "\"}");
  }

  @Test
  void aRefusedStepCompensatesTheSucceededStepsInReverseAndFailsTheWorkflow() {
    workflows.register("order", wf -> {
      wf.step(bb -> {
        log.add("reserve");
        return "r-1";
      }, (reserved, bb) -> log.add("unreserve " + reserved + " " + bb.branchId() + " " + bb.op()));
      wf.step(bb -> {
        log.add("notify");
        return "sent";
      });
      wf.step(Receipt.class, bb -> {
        log.add("charge");
        return new Receipt(bb.branchId(), 30);
      }, (receipt, bb) -> log.add("refund " + receipt.amount() + " " + bb.branchId()));
      wf.step(bb -> {
        log.add("ship");
        throw new BranchFailedException("out of stock");
      }, (r, bb) -> log.add("unship"));
      log.add("after the refusal");
      return "shipped";
    });
    String gid = client.newGid();

    WorkflowResult result = workflows.execute("order", gid, "order-7".getBytes(StandardCharsets.UTF_8));

    assertThat(result.succeeded()).isFalse();
    assertThat(result.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(result.rollbackReason()).isEqualTo("out of stock");
    assertThat(result.result()).isEmpty();
    assertThat(log).containsExactly("reserve", "notify", "charge", "ship", "refund 30 03", "unreserve r-1 01 rollback");
    assertThat(cohort.branches(gid)).containsExactly(
        new BranchView("01", "action", "succeed", ""),
        new BranchView("02", "action", "succeed", ""),
        new BranchView("03", "action", "succeed", ""),
        new BranchView("04", "action", "failed", ""),
        new BranchView("03", "rollback", "succeed", ""),
        new BranchView("01", "rollback", "succeed", ""));
    assertThat(text(endpoint.query(cohort.baseUrl(), gid).at("/branches/3/bin_data"))).isEqualTo("out of stock");
    TransactionInfo info = client.query(gid).orElseThrow();
    assertThat(info.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(info.rollbackReason()).isEqualTo("out of stock");
    assertThatThrownBy(result::orThrow).isInstanceOf(TransactionFailedException.class).hasMessageContaining(gid)
        .hasMessageContaining("out of stock");

    // Executing the finished workflow again runs nothing and answers its recorded outcome.
    log.clear();
    WorkflowResult again = workflows.execute("order", gid, "order-7".getBytes(StandardCharsets.UTF_8));
    assertThat(again.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(again.rollbackReason()).isEqualTo("out of stock");
    assertThat(log).isEmpty();
  }

  @Test
  void aTransientErrorLeavesItPreparedAndTheCoordinatorsResumeReplaysTheRecordedSteps() {
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    AtomicInteger third = new AtomicInteger();
    AtomicBoolean bankDown = new AtomicBoolean(true);
    List<String> inputs = new CopyOnWriteArrayList<>();
    workflows.register("payout", wf -> {
      inputs.add(new String(wf.input(), StandardCharsets.UTF_8) + " resume=" + wf.isResume());
      String a = wf.step(bb -> "a" + first.incrementAndGet());
      String b = wf.step(bb -> {
        second.incrementAndGet();
        if (bankDown.getAndSet(false)) {
          throw new IOException("bank timed out");
        }
        return "b";
      });
      String c = wf.step(bb -> "c" + third.incrementAndGet());
      return a + b + c;
    });
    String gid = client.newGid();
    byte[] input = "payout-9".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> workflows.execute("payout", gid, input))
        .isInstanceOf(WorkflowIncompleteException.class)
        .hasMessageContaining(gid)
        .hasCauseInstanceOf(IOException.class)
        .satisfies(e -> assertThat(((WorkflowIncompleteException) e).retryable()).isTrue());
    assertThat(cohort.status(gid)).isEqualTo("prepared");
    assertThat(cohort.branches(gid)).containsExactly(new BranchView("01", "action", "succeed", ""));
    assertThat(List.of(first.get(), second.get(), third.get())).containsExactly(1, 1, 0);

    // Nothing happens until the retry interval has passed; then the coordinator calls the resume endpoint.
    cohort.awaitIdle(gid, WAIT);
    cohort.advance(PAST_RETRY_INTERVAL);
    assertThat(cohort.awaitFinal(gid, WAIT)).isEqualTo("succeed");

    assertThat(List.of(first.get(), second.get(), third.get())).as("step 01 replayed, 02 run again, 03 run once")
        .containsExactly(1, 2, 1);
    assertThat(inputs).containsExactly("payout-9 resume=false", "payout-9 resume=true");
    // The workflow is final before the resume call is answered: its run submits first.
    await().atMost(WAIT).untilAsserted(() -> assertThat(endpoint.answers()).containsExactly(200));
    assertThat(cohort.branches(gid)).containsExactly(
        new BranchView("01", "action", "succeed", ""),
        new BranchView("02", "action", "succeed", ""),
        new BranchView("03", "action", "succeed", ""));
    assertThat(text(endpoint.query(cohort.baseUrl(), gid).at("/transaction/result"))).isEqualTo("\"a1bc1\"");

    // Executing the finished workflow again runs nothing and answers its recorded result.
    WorkflowResult again = workflows.execute("payout", gid, input);
    assertThat(again.succeeded()).isTrue();
    assertThat(again.result(String.class)).isEqualTo("a1bc1");
    assertThat(List.of(first.get(), second.get(), third.get())).containsExactly(1, 2, 1);
    assertThat(inputs).hasSize(2);
  }

  @Test
  void aResumedRunFinishesAfterTheCoordinatorStoppedWaitingForTheAnswer() throws Exception {
    try (CohortTestServer impatient = CohortTestServer.builder().requestTimeout(Duration.ofMillis(300)).start();
        CohortClient impatientClient = CohortClient.create(impatient.baseUrl());
        ResumeEndpoint slowEndpoint = new ResumeEndpoint()) {
      Workflows slow = Workflows.create(impatientClient, slowEndpoint.url());
      slowEndpoint.mount(slow.resumeHandler());
      AtomicBoolean crashOnce = new AtomicBoolean(true);
      CountDownLatch inSlowStep = new CountDownLatch(1);
      CountDownLatch coordinatorGaveUp = new CountDownLatch(1);
      AtomicReference<Optional<Instant>> deadlineInStep = new AtomicReference<>();
      slow.register("slow", wf -> {
        wf.step(bb -> "quick");
        if (crashOnce.getAndSet(false)) {
          throw new IllegalStateException("crash");
        }
        return wf.step(bb -> {
          deadlineInStep.set(CohortContext.current().deadline());
          inSlowStep.countDown();
          assertThat(coordinatorGaveUp.await(10, TimeUnit.SECONDS)).isTrue();
          return "slow";
        });
      });
      String gid = impatientClient.newGid();
      assertThatThrownBy(() -> slow.execute("slow", gid, (byte[]) null))
          .isInstanceOf(WorkflowIncompleteException.class);

      impatient.awaitIdle(gid, WAIT);
      impatient.advance(PAST_RETRY_INTERVAL);
      assertThat(inSlowStep.await(10, TimeUnit.SECONDS)).isTrue();
      // The coordinator's 300 ms request timeout passes (real time): it counts the resume call as failed.
      await().atMost(WAIT).until(() -> slowEndpoint.query(impatient.baseUrl(), gid).at("/transaction/failures")
          .asInt() >= 1);
      coordinatorGaveUp.countDown();

      assertThat(impatient.awaitFinal(gid, WAIT)).isEqualTo("succeed");
      assertThat(deadlineInStep.get()).as("the coordinator's deadline does not bound the run").isEmpty();
      assertThat(impatient.branches(gid)).containsExactly(
          new BranchView("01", "action", "succeed", ""),
          new BranchView("02", "action", "succeed", ""));
    }
  }

  @Test
  void aCompensationThatThrowsIsRetriedOnResumeWithoutRepeatingRecordedWork() {
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger undoFirst = new AtomicInteger();
    AtomicInteger undoSecond = new AtomicInteger();
    AtomicBoolean refundServiceDown = new AtomicBoolean(true);
    workflows.register("booking", wf -> {
      wf.step(bb -> "seat", (r, bb) -> {
        undoFirst.incrementAndGet();
        if (refundServiceDown.getAndSet(false)) {
          throw new IllegalStateException("refund service down");
        }
      });
      wf.step(bb -> "hotel", (r, bb) -> undoSecond.incrementAndGet());
      wf.step(bb -> {
        refused.incrementAndGet();
        throw new BranchFailedException("card declined");
      });
      return "booked";
    });
    String gid = client.newGid();

    assertThatThrownBy(() -> workflows.execute("booking", gid, (byte[]) null))
        .isInstanceOf(WorkflowIncompleteException.class)
        .hasMessageContaining("compensation of step 01")
        .cause().isInstanceOf(IllegalStateException.class).hasMessage("refund service down")
        .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
            .isInstanceOf(BranchFailedException.class));
    assertThat(cohort.status(gid)).isEqualTo("prepared");
    assertThat(cohort.branches(gid)).containsExactly(
        new BranchView("01", "action", "succeed", ""),
        new BranchView("02", "action", "succeed", ""),
        new BranchView("03", "action", "failed", ""),
        new BranchView("02", "rollback", "succeed", ""));

    cohort.awaitIdle(gid, WAIT);
    cohort.advance(PAST_RETRY_INTERVAL);
    assertThat(cohort.awaitFinal(gid, WAIT)).isEqualTo("failed");

    assertThat(refused).as("the recorded refusal replays without running").hasValue(1);
    assertThat(undoSecond).as("a recorded compensation is not repeated").hasValue(1);
    assertThat(undoFirst).hasValue(2);
    assertThat(cohort.branches(gid)).endsWith(new BranchView("01", "rollback", "succeed", ""));
    assertThat(client.query(gid).orElseThrow().rollbackReason()).isEqualTo("card declined");
  }

  @Test
  void theFunctionMayHandleARefusalAndGoOn() {
    workflows.register("fallback", wf -> {
      try {
        return wf.step(bb -> {
          throw new BranchFailedException("primary refused");
        });
      } catch (BranchFailedException e) {
        return wf.step(bb -> "secondary after " + e.getMessage());
      }
    });
    String gid = client.newGid();

    WorkflowResult result = workflows.execute("fallback", gid, (byte[]) null);

    assertThat(result.result(String.class)).isEqualTo("secondary after primary refused");
    assertThat(cohort.branches(gid)).containsExactly(
        new BranchView("01", "action", "failed", ""),
        new BranchView("02", "action", "succeed", ""));
  }

  @Test
  void nullResultsAreRecordedAsEmptyDataAndReplayTheSame() {
    AtomicInteger runs = new AtomicInteger();
    AtomicBoolean failOnce = new AtomicBoolean(true);
    List<String> seen = new CopyOnWriteArrayList<>();
    workflows.register("nulls", wf -> {
      String text = wf.step(bb -> {
        runs.incrementAndGet();
        return null;
      });
      Receipt object = wf.step(Receipt.class, bb -> {
        runs.incrementAndGet();
        return null;
      });
      seen.add("[" + text + "] " + object);
      if (failOnce.getAndSet(false)) {
        throw new IllegalStateException("crash after the steps");
      }
      return null;
    });
    String gid = client.newGid();

    assertThatThrownBy(() -> workflows.execute("nulls", gid, (byte[]) null))
        .isInstanceOf(WorkflowIncompleteException.class);
    WorkflowResult result = workflows.execute("nulls", gid, (byte[]) null);

    assertThat(result.succeeded()).isTrue();
    assertThat(result.result()).isEmpty();
    assertThat(result.result(Receipt.class)).isNull();
    assertThat(runs).as("both steps replayed on the second run").hasValue(2);
    assertThat(seen).containsExactly("[] null", "[] null");
    JsonNode recorded = endpoint.query(cohort.baseUrl(), gid);
    assertThat(recorded.at("/branches/0/bin_data").isMissingNode()).isTrue();
    assertThat(recorded.at("/branches/1/bin_data").isMissingNode()).isTrue();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(JsonNode base64) {
    return base64 == null ? null : new String(Base64.getDecoder().decode(base64.asText()), StandardCharsets.UTF_8);
  }
}
