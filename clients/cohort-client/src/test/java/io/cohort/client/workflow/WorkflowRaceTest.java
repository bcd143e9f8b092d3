package io.cohort.client.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.client.CohortClient;
import io.cohort.testkit.BranchView;
import io.cohort.testkit.CohortTestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two runs of one gid at once. Within one {@link Workflows} they are kept apart, so no action runs twice. Across two
 * instances (two processes) they cannot be: the test pins what holds instead, that the record keeps one outcome per
 * step and every run ends with the same, recorded, result.
 */
class WorkflowRaceTest {
  static final Duration WAIT = Duration.ofSeconds(10);

  private CohortTestServer cohort;
  private CohortClient client;
  private ResumeEndpoint endpoint;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeEach
  void setUp() {
    cohort = CohortTestServer.start();
    client = CohortClient.create(cohort.baseUrl());
    endpoint = new ResumeEndpoint();
  }

  @AfterEach
  void tearDown() {
    pool.shutdownNow();
    endpoint.close();
    client.close();
    cohort.close();
  }

  @Test
  void aSecondExecuteOfARunningGidWaitsAndReplaysSoNoActionRunsTwice() throws Exception {
    Workflows workflows = Workflows.create(client, endpoint.url());
    endpoint.mount(workflows.resumeHandler());
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    CountDownLatch inFirstStep = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    workflows.register("race", wf -> {
      String a = wf.step(bb -> {
        first.incrementAndGet();
        inFirstStep.countDown();
        assertThat(release.await(10, TimeUnit.SECONDS)).isTrue();
        return "one";
      });
      String b = wf.step(bb -> "two-" + second.incrementAndGet());
      return a + "+" + b;
    });
    String gid = client.newGid();
    byte[] input = "in".getBytes(StandardCharsets.UTF_8);

    CompletableFuture<WorkflowResult> original = CompletableFuture.supplyAsync(
        () -> workflows.execute("race", gid, input), pool);
    assertThat(inFirstStep.await(10, TimeUnit.SECONDS)).isTrue();
    AtomicReference<WorkflowResult> racing = new AtomicReference<>();
    Thread racer = new Thread(() -> racing.set(workflows.execute("race", gid, input)));
    racer.start();
    await().atMost(WAIT).until(() -> racer.getState() == Thread.State.WAITING);
    // The coordinator's resume call meanwhile is answered "ongoing" and runs nothing.
    assertThat(endpoint.call("gid=" + gid + "&trans_type=workflow&branch_id=00&op=race", input)).isEqualTo(425);
    assertThat(first).hasValue(1);

    release.countDown();
    racer.join(WAIT.toMillis());

    assertThat(original.get(10, TimeUnit.SECONDS).result(String.class)).isEqualTo("one+two-1");
    assertThat(racing.get().result(String.class)).isEqualTo("one+two-1");
    assertThat(first).hasValue(1);
    assertThat(second).hasValue(1);
    assertThat(cohort.branches(gid)).containsExactly(
        new BranchView("01", "action", "succeed", ""),
        new BranchView("02", "action", "succeed", ""));
  }

  @Test
  void runsInTwoProcessesKeepOneRecordAndBothReturnTheRecordedOutcome() throws Exception {
    // Two Workflows instances stand for two processes. The interleaving is forced with latches:
    // A takes step 01 and waits; B takes step 01 (recorded first) and waits inside step 02; A records step 01, is
    // refused as a duplicate and adopts B's record, takes step 02 and finishes; B's step 02 is then refused because
    // the workflow is final, and B returns A's recorded outcome.
    CountDownLatch aInStep1 = new CountDownLatch(1);
    CountDownLatch bInStep2 = new CountDownLatch(1);
    CountDownLatch aFinished = new CountDownLatch(1);
    AtomicInteger step1Runs = new AtomicInteger();
    AtomicInteger step2Runs = new AtomicInteger();
    Workflows a = Workflows.create(client, endpoint.url());
    Workflows b = Workflows.create(client, endpoint.url());
    a.register("race", wf -> {
      String one = wf.step(bb -> {
        step1Runs.incrementAndGet();
        aInStep1.countDown();
        assertThat(bInStep2.await(10, TimeUnit.SECONDS)).isTrue();
        return "a1";
      });
      String two = wf.step(bb -> {
        step2Runs.incrementAndGet();
        return "a2";
      });
      return one + "+" + two;
    });
    b.register("race", wf -> {
      String one = wf.step(bb -> {
        step1Runs.incrementAndGet();
        return "b1";
      });
      String two = wf.step(bb -> {
        step2Runs.incrementAndGet();
        bInStep2.countDown();
        assertThat(aFinished.await(10, TimeUnit.SECONDS)).isTrue();
        return "b2";
      });
      return one + "+" + two;
    });
    String gid = client.newGid();

    CompletableFuture<WorkflowResult> runA =
        CompletableFuture.supplyAsync(() -> a.execute("race", gid, (byte[]) null), pool);
    assertThat(aInStep1.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<WorkflowResult> runB =
        CompletableFuture.supplyAsync(() -> b.execute("race", gid, (byte[]) null), pool);
    WorkflowResult resultA = runA.get(10, TimeUnit.SECONDS);
    aFinished.countDown();
    WorkflowResult resultB = runB.get(10, TimeUnit.SECONDS);

    // A adopted B's step 01; its own step 02 is the recorded one; B returns what A recorded.
    assertThat(resultA.result(String.class)).isEqualTo("b1+a2");
    assertThat(resultB.result(String.class)).isEqualTo("b1+a2");
    assertThat(cohort.status(gid)).isEqualTo("succeed");
    assertThat(cohort.branches(gid)).containsExactly(
        new BranchView("01", "action", "succeed", ""),
        new BranchView("02", "action", "succeed", ""));
    var recorded = endpoint.query(cohort.baseUrl(), gid);
    assertThat(decode(recorded.at("/branches/0/bin_data").asText())).isEqualTo("b1");
    assertThat(decode(recorded.at("/branches/1/bin_data").asText())).isEqualTo("a2");
    // What cannot be prevented across processes: both actions of each step ran.
    assertThat(step1Runs).hasValue(2);
    assertThat(step2Runs).hasValue(2);
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }
}
