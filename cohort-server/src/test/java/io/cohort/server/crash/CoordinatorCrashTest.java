package io.cohort.server.crash;

import static io.cohort.server.crash.Bank.Behaviour.FAIL;
import static io.cohort.server.crash.Bank.Behaviour.FLAKY;
import static io.cohort.server.crash.Bank.Behaviour.GATE;
import static io.cohort.server.crash.Bank.Behaviour.OK;
import static io.cohort.server.crash.Bank.Behaviour.SLOW;
import static io.cohort.server.crash.Txn.Decision.ABORT;
import static io.cohort.server.crash.Txn.Decision.SUBMIT;
import static io.cohort.server.crash.Txn.Decision.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohort.server.crash.Bank.Behaviour;
import io.cohort.server.crash.Txn.Decision;
import io.cohort.server.crash.Txn.Mode;
import io.cohort.server.crash.Txn.Step;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Call;
import io.cohort.server.support.Participant.Reply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the coordinator on its durable embedded store, end to end.
 *
 * <p>Each test runs the real server as a separate JVM ({@link CoordinatorProcess}), drives sagas, msgs, TCCs and XAs
 * (workflows: see below) against real HTTP participants on loopback ({@link Bank}: quick, slow, failing, flaky, and
 * gated ones), kills the server with SIGKILL at a chosen point, restarts it on the same data directory, and after the
 * last restart waits until every transaction is final. Then {@link Ledger#violations} checks the promises:
 *
 * <ul>
 *   <li>every acknowledged transaction still exists and ends in the status its branches dictate (a saga with a FAILURE
 *       action fails, a msg whose check-back says FAILURE fails, everything else succeeds); an unacknowledged one
 *       either does not exist (and then no participant heard of it) or ends correctly as well;
 *   <li>every action of a succeeded saga or msg ran at least once, with its payload intact; no compensation for a
 *       succeeded saga; a failed saga compensated every action that ran, after all its actions, and never ran a step
 *       that waits for the failed one;
 *   <li>the key invariant: no compensation reached a participant before the action of the same branch had;
 *   <li>no action of a msg whose check-back said FAILURE was ever delivered, and a msg left prepared is delivered
 *       only after its check-back said SUCCESS;
 *   <li>TCC and XA: every acknowledged {@code registerBranch} survives, and nothing the client did not register is
 *       stored or called; an acknowledged submit ends {@code succeed} with every confirm (commit) delivered at least
 *       once and no cancel (rollback) ever; an acknowledged abort, or a prepared one that outlived its
 *       {@code timeout_to_fail}, ends {@code failed} with every registered branch's cancel (rollback) delivered at
 *       least once and no confirm (commit) ever; a decision that got no answer may go either way, with the same
 *       all-or-nothing calls. Phase-2 order holds across crashes and rounds: in that order (TCC last registered
 *       first, XA registration order), a branch's first call is received only after the branch before it received
 *       the call it answers SUCCESS to, so the first deliveries follow that order. The calls carry the branch's data
 *       (GET when a TCC branch's is empty), and a FAILURE answer in phase 2 is retried, never turned around;
 *   <li>a transaction that was final when its {@code wait_result} submit (or abort) was answered gets no more calls.
 * </ul>
 *
 * <p>Workflows have their own test and checks, without the {@link Ledger}: the client runs and records the steps, the
 * coordinator only resumes an unfinished one through its callback. Clients prepare workflows, record one or two steps
 * each and "crash"; the coordinator is killed while a resume call of every workflow is held in flight at the callback,
 * and a resume call received after the restart replays the progress ({@code prepareWorkflow}), records the missing
 * steps and submits {@code succeed} or {@code failed}. Then every workflow ends in the status (result, rollback reason)
 * its client submitted; the steps recorded before the crash are exactly what the first resume after the restart
 * replays, and every recorded step is stored exactly (branch id, op, status, data); every workflow got a resume call
 * after the restart; no resume call arrives after its submit was acknowledged (but one already in flight); and every
 * resume call is a POST with branch id {@code 00}, op = the workflow name and the workflow input as its body.
 *
 * <p>Kill points: after submits were acknowledged but before any branch call completed; while calls are held in flight
 * at a participant; right after a participant answered (before the coordinator could record it) for a saga action, a
 * FAILURE, a check-back and a msg action; during compensations (held, and right after one answered); while TCC
 * confirms and cancels (after a client abort and after a timeout) and XA commits and rollbacks (likewise) are held in
 * flight; right after a participant answered such a call (a confirm and a commit with more to come, a cancel and a
 * rollback after an abort, the last cancel and the first rollback after a timeout, a commit answering FAILURE); and
 * repeatedly under continuous load from client threads, all modes mixed; and while workflow resume calls are held in
 * flight at the callback. The coordinator runs with short intervals
 * (200 ms retries, 1 s check-back and TCC/XA timeout, 3 s lease), so a test takes seconds; the whole class stays
 * under two minutes.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CoordinatorCrashTest {
  private static final Duration SETTLE = Duration.ofSeconds(60);
  private static final Duration HOLD = Duration.ofSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  private Bank bank;
  private CoordinatorProcess coordinator;
  private Ledger ledger;

  @RegisterExtension
  final TestWatcher printLogOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (coordinator != null) {
        System.err.println("coordinator output (tail) for " + context.getDisplayName() + ":\n"
            + coordinator.logTail(80));
      }
      if (ledger != null) {
        System.err.println(ledger.summary());
      }
    }
  };

  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    Path logs = Path.of("target", "crash-test");
    Files.createDirectories(logs);
    Path log = logs.resolve(info.getTestMethod().orElseThrow().getName() + ".log");
    Files.deleteIfExists(log);
    bank = new Bank();
    coordinator = new CoordinatorProcess(tmp.resolve("data"), log);
    ledger = new Ledger(bank);
  }

  @AfterEach
  void tearDown() {
    if (coordinator != null) {
      coordinator.close();
    }
    if (bank != null) {
      bank.close();
    }
  }

  @Test
  void killAfterSubmitsWereAcknowledgedBeforeAnyBranchCallCompleted() throws Exception {
    coordinator.start();
    // Finished before the crash: they must stay as they are, and get no call after the restart.
    ledger.run(coordinator, Txn.saga("k1-done-ok", step(OK, OK), step(SLOW, SLOW)).waitResult());
    ledger.run(coordinator, Txn.saga("k1-done-fail", step(OK, SLOW), step(FAIL, OK)).waitResult());

    bank.gate.close();
    int gated = 0;
    for (int i = 0; i < 6; i++) {
      ledger.run(coordinator, Txn.saga("k1-saga-" + i, step(GATE, OK), step(OK, FLAKY),
          i % 3 == 2 ? step(FAIL, OK) : step(SLOW, SLOW)));
      gated++;
    }
    for (int i = 0; i < 3; i++) {
      ledger.run(coordinator, Txn.sagaDag("k1-dag-" + i, Map.of(2, List.of(0, 1), 3, List.of(2)),
          step(GATE, GATE), step(FLAKY, OK), step(OK, SLOW), step(i == 2 ? FAIL : OK, OK)));
      gated++;
    }
    for (int i = 0; i < 3; i++) {
      Txn m = Txn.msg("k1-msg-" + i, Mode.MSG_SUBMIT, GATE, FLAKY);
      ledger.run(coordinator, i == 1 ? m.concurrent() : m);
      gated++;
    }
    for (int i = 0; i < 2; i++) {
      ledger.run(coordinator, Txn.msg("k1-pmsg-" + i, Mode.MSG_PREPARE_SUBMIT, GATE, OK));
      gated++;
    }
    // Nothing of these reaches a participant before the kill: delivery is delayed, the check-back comes after 1 s.
    ledger.run(coordinator, Txn.msg("k1-delayed-0", Mode.MSG_SUBMIT, OK, SLOW).delay(1));
    ledger.run(coordinator, Txn.msg("k1-delayed-1", Mode.MSG_SUBMIT, SLOW, OK).delay(1).concurrent());
    ledger.run(coordinator, Txn.msg("k1-cb-yes", Mode.MSG_CHECK_BACK, OK, SLOW));
    ledger.run(coordinator, Txn.msg("k1-cb-no", Mode.MSG_CHECK_BACK, OK).rolledBack());
    assertThat(ledger.unacknowledged()).as("the coordinator was up for every submit").isEmpty();

    int expectHeld = gated;
    await("first calls held at the gate").atMost(HOLD).until(() -> bank.gate.held() >= expectHeld);
    coordinator.kill();
    bank.gate.open();
    coordinator.start();
    settleAndVerify();
  }

  @Test
  void killWhileBranchCallsAreInFlight() throws Exception {
    coordinator.start();
    bank.gate.close();
    List<Txn> batch = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Txn s = Txn.saga("k2-saga-" + i, step(OK, OK), step(GATE, SLOW), i == 3 ? step(FAIL, OK) : step(SLOW, OK));
      batch.add(i % 2 == 0 ? s.waitResult() : s);
    }
    for (int i = 0; i < 2; i++) {
      batch.add(Txn.sagaDag("k2-dag-" + i, Map.of(2, List.of(0, 1), 3, List.of(2)),
          step(SLOW, OK), step(OK, GATE), step(GATE, OK), step(i == 1 ? FAIL : OK, SLOW)));
    }
    // Time out while their action is held: the restarted coordinator takes them up only when the dead one's lease (3 s)
    // has run out, so they are past 2 s by then and abort; they must compensate the held action, which the coordinator
    // knows was attempted only because the dispatch was on disk before the call.
    batch.add(Txn.saga("k2-timeout-seq", step(OK, OK), step(GATE, SLOW), step(OK, OK)).timeoutToFail(2));
    batch.add(Txn.sagaDag("k2-timeout-dag", Map.of(2, List.of(0, 1)), step(GATE, OK), step(SLOW, OK), step(OK, OK))
        .timeoutToFail(2));
    batch.add(Txn.msg("k2-msg-0", Mode.MSG_SUBMIT, OK, GATE));
    batch.add(Txn.msg("k2-msg-1", Mode.MSG_SUBMIT, OK, GATE).waitResult());
    batch.add(Txn.msg("k2-pmsg-0", Mode.MSG_PREPARE_SUBMIT, SLOW, GATE).concurrent().waitResult());
    batch.add(Txn.msg("k2-pmsg-1", Mode.MSG_PREPARE_SUBMIT, SLOW, GATE).concurrent());
    batch.add(Txn.msg("k2-cb-yes", Mode.MSG_CHECK_BACK, SLOW, OK));
    batch.add(Txn.msg("k2-cb-no", Mode.MSG_CHECK_BACK, OK).rolledBack());
    List<Thread> clients = runConcurrently(batch);

    // Sequential sagas hold at step 2, DAG sagas at step 3, msgs at their second action: each after earlier calls
    // completed and were recorded. wait_result clients are blocked in their submit and will get no answer.
    await("calls held in flight").atMost(HOLD).until(() -> bank.gate.held() >= 4 + 2 + 2 + 2 + 2);
    coordinator.kill();
    bank.gate.open();
    join(clients);
    coordinator.start();
    // The clients whose submit the crash cut off retry it (submit is idempotent) while the dead coordinator's lease
    // still holds their transactions, before the scheduler takes them up.
    List<Ledger.Entry> cutOff = ledger.entries().stream()
        .filter(e -> !e.acknowledged && e.txn.mode != Mode.MSG_CHECK_BACK).toList();
    assertThat(cutOff).as("wait_result submits cut off by the crash").isNotEmpty();
    List<Thread> retries = new ArrayList<>();
    for (Ledger.Entry e : cutOff) {
      retries.add(Thread.ofVirtual().start(() -> {
        try {
          ledger.retrySubmit(coordinator, e);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    join(retries);
    cutOff.forEach(e -> System.out.println("k2: " + e.txn.gid + " " + e.replies));
    settleAndVerify();
  }

  @Test
  void killRightAfterParticipantsAnswered() throws Exception {
    List<Predicate<Call>> killPoints = List.of(
        // a saga action answered SUCCESS in the middle of a saga
        c -> "saga".equals(c.transType()) && "action".equals(c.op()) && "02".equals(c.branchId())
            && "/a/ok".equals(c.path()),
        // a saga action answered FAILURE: the abort is not recorded yet
        c -> "/a/fail".equals(c.path()),
        // the check-back answered: its decision is not recorded yet
        c -> Bank.QUERY_PREPARED.equals(c.path()),
        // a msg action answered
        c -> "msg".equals(c.transType()) && "action".equals(c.op()) && "/a/ok".equals(c.path()));
    for (int k = 0; k < killPoints.size(); k++) {
      coordinator.start();
      CompletableFuture<Call> fired = bank.afterFirstReply(killPoints.get(k), coordinator::killNow);
      String p = "k3-" + k + "-";
      List<Thread> clients = runConcurrently(List.of(
          Txn.saga(p + "saga-ok", step(OK, OK), step(OK, SLOW), step(SLOW, OK)),
          Txn.saga(p + "saga-fail", step(SLOW, OK), step(OK, FLAKY), step(FAIL, OK)).waitResult(),
          Txn.sagaDag(p + "dag", Map.of(1, List.of(0), 2, List.of(0)), step(OK, OK), step(FLAKY, OK), step(OK, SLOW)),
          Txn.msg(p + "msg", Mode.MSG_SUBMIT, OK, SLOW).waitResult(),
          Txn.msg(p + "pmsg", Mode.MSG_PREPARE_SUBMIT, FLAKY, OK),
          Txn.msg(p + "cb-yes", Mode.MSG_CHECK_BACK, OK),
          Txn.msg(p + "cb-no", Mode.MSG_CHECK_BACK, OK).rolledBack()));
      Call killedAfter = fired.get(HOLD.toSeconds(), TimeUnit.SECONDS);
      coordinator.awaitKilled();
      System.out.println("k3: killed right after " + killedAfter.gid() + " " + killedAfter.op() + "/"
          + killedAfter.branchId() + " " + killedAfter.path() + " was answered");
      join(clients);
    }
    coordinator.start();
    settleAndVerify();
  }

  @Test
  void killDuringCompensations() throws Exception {
    // 1: compensations held in flight at a participant.
    coordinator.start();
    bank.gate.close();
    List<Txn> batch = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Txn s = Txn.saga("k4-saga-" + i, step(OK, GATE), step(SLOW, OK), step(FLAKY, SLOW), step(FAIL, OK));
      batch.add(i == 0 ? s.waitResult() : s);
    }
    for (int i = 0; i < 2; i++) {
      batch.add(Txn.sagaDag("k4-dag-" + i, Map.of(2, List.of(0, 1)), step(OK, GATE), step(SLOW, GATE),
          step(FAIL, OK)));
    }
    List<Thread> clients = runConcurrently(batch);
    await("compensations held in flight").atMost(HOLD).until(() -> bank.gate.held() >= 3 + 2 * 2);
    coordinator.kill();
    bank.gate.open();
    join(clients);

    // 2: killed right after a compensation was answered, before the coordinator recorded it.
    coordinator.start();
    CompletableFuture<Call> fired = bank.afterFirstReply(
        c -> "compensate".equals(c.op()) && c.gid().startsWith("k4-b-"), coordinator::killNow);
    clients = runConcurrently(List.of(
        Txn.saga("k4-b-saga-0", step(SLOW, SLOW), step(OK, FLAKY), step(FAIL, OK)),
        Txn.saga("k4-b-saga-1", step(OK, OK), step(OK, SLOW), step(FAIL, OK)).waitResult(),
        Txn.sagaDag("k4-b-dag", Map.of(1, List.of(0), 2, List.of(0)), step(OK, SLOW), step(FAIL, OK),
            step(SLOW, OK))));
    fired.get(HOLD.toSeconds(), TimeUnit.SECONDS);
    coordinator.awaitKilled();
    join(clients);

    coordinator.start();
    settleAndVerify();
  }

  @Test
  void killWhilePhaseTwoCallsAreInFlight() throws Exception {
    coordinator.start();
    bank.gate.close();
    List<Txn> batch = new ArrayList<>();
    // TCC runs phase 2 from the last registered branch (03) to the first (01): each holds at 0101, after the call to
    // 03 completed and was recorded (for the timed-out one, after FAILURE twice, then SUCCESS).
    for (int i = 0; i < 2; i++) {
      Txn s = Txn.tcc("k6-tcc-submit-" + i, SUBMIT, step(OK, OK), step(GATE, OK), step(SLOW, OK));
      batch.add(i == 0 ? s.waitResult() : s);
      Txn a = Txn.tcc("k6-tcc-abort-" + i, ABORT, step(OK, OK), step(OK, GATE), step(OK, FLAKY));
      batch.add(i == 0 ? a.waitResult() : a);
    }
    batch.add(Txn.tcc("k6-tcc-timeout", TIMEOUT, step(OK, SLOW), step(OK, GATE), step(OK, FAIL)));
    // XA runs it in registration order: each holds at its gated branch.
    for (int i = 0; i < 2; i++) {
      Txn x = Txn.xa("k6-xa-submit-" + i, SUBMIT, OK, FLAKY, GATE);
      batch.add(i == 0 ? x.waitResult() : x);
    }
    batch.add(Txn.xa("k6-xa-abort", ABORT, SLOW, GATE, OK).waitResult());
    batch.add(Txn.xa("k6-xa-timeout-0", TIMEOUT, GATE, OK));
    batch.add(Txn.xa("k6-xa-timeout-1", TIMEOUT, OK, FAIL, GATE));
    List<Thread> clients = runConcurrently(batch);

    await("phase-2 calls held in flight").atMost(HOLD).until(() -> bank.gate.held() >= 2 + 2 + 1 + 2 + 1 + 2);
    coordinator.kill();
    bank.gate.open();
    join(clients);
    coordinator.start();
    List<Thread> resends = resendCutOffDecisions("k6");
    assertThat(resends).as("wait_result decisions cut off by the crash").isNotEmpty();
    join(resends);
    settleAndVerify();
  }

  @Test
  void killRightAfterPhaseTwoCallsWereAnswered() throws Exception {
    List<Predicate<Call>> killPoints = List.of(
        // a tcc confirm answered SUCCESS, the first of three (tcc-submit's 03): 0101 and 01 are still to come
        c -> "tcc".equals(c.transType()) && "confirm".equals(c.op()) && "/confirm/ok".equals(c.path())
            && "03".equals(c.branchId()),
        // a tcc cancel after a client abort answered SUCCESS, in the middle (tcc-abort's 0101)
        c -> "tcc".equals(c.transType()) && "cancel".equals(c.op()) && c.gid().endsWith("-abort")
            && "0101".equals(c.branchId()),
        // the last cancel of a timed-out tcc answered: next the coordinator would write failed
        c -> "tcc".equals(c.transType()) && "cancel".equals(c.op()) && c.gid().endsWith("-timeout")
            && "01".equals(c.branchId()),
        // an xa commit answered SUCCESS in the middle (xa-submit's 0101)
        c -> "xa".equals(c.transType()) && "commit".equals(c.op()) && "/xa/ok".equals(c.path())
            && "0101".equals(c.branchId()),
        // an xa commit answered FAILURE: retried until it succeeds, never turned into a rollback
        c -> "xa".equals(c.transType()) && "commit".equals(c.op()) && "/xa/fail".equals(c.path()),
        // the first rollback after a client abort answered
        c -> "xa".equals(c.transType()) && "rollback".equals(c.op()) && c.gid().endsWith("-abort")
            && "01".equals(c.branchId()),
        // the first rollback of a timed-out xa answered
        c -> "xa".equals(c.transType()) && "rollback".equals(c.op()) && c.gid().endsWith("-timeout")
            && "01".equals(c.branchId()));
    for (int k = 0; k < killPoints.size(); k++) {
      coordinator.start();
      // Resent while the next batch runs, so the next kill may cut some off again.
      List<Thread> resends = resendCutOffDecisions("k7");
      CompletableFuture<Call> fired = bank.afterFirstReply(killPoints.get(k), coordinator::killNow);
      String p = "k7-" + k + "-";
      // Branch ids 01, 0101, 03 in registration order; phase-2 order tcc 03, 0101, 01 and xa 01, 0101, 03.
      List<Thread> clients = runConcurrently(List.of(
          Txn.tcc(p + "tcc-submit", SUBMIT, step(OK, OK), step(SLOW, OK), step(OK, FLAKY)),
          Txn.tcc(p + "tcc-submit-wait", SUBMIT, step(FLAKY, OK), step(FAIL, OK), step(SLOW, OK)).waitResult(),
          Txn.tcc(p + "tcc-abort", ABORT, step(OK, SLOW), step(OK, OK), step(OK, FAIL)),
          Txn.tcc(p + "tcc-timeout", TIMEOUT, step(OK, OK), step(OK, FLAKY)),
          Txn.xa(p + "xa-submit", SUBMIT, OK, OK, SLOW),
          Txn.xa(p + "xa-submit-wait", SUBMIT, SLOW, FAIL, OK).waitResult(),
          Txn.xa(p + "xa-abort", ABORT, OK, FLAKY, OK).waitResult(),
          Txn.xa(p + "xa-timeout", TIMEOUT, OK, SLOW)));
      Call killedAfter = fired.get(HOLD.toSeconds(), TimeUnit.SECONDS);
      coordinator.awaitKilled();
      System.out.println("k7: killed right after " + killedAfter.gid() + " " + killedAfter.op() + "/"
          + killedAfter.branchId() + " " + killedAfter.path() + " was answered");
      join(clients);
      join(resends);
    }
    coordinator.start();
    join(resendCutOffDecisions("k7"));
    settleAndVerify();
  }

  @Test
  void repeatedCrashesUnderContinuousLoad() throws Exception {
    coordinator.start();
    Random random = new Random(20260117L);
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Random own = new Random(random.nextLong());
      String prefix = "k5-c" + i + "-";
      clients.add(Thread.ofPlatform().name("crash-client-" + i).start(() -> {
        int n = 0;
        while (!stop.get()) {
          try {
            Ledger.Entry e = ledger.run(coordinator, randomTxn(own, prefix + n++));
            // Pacing of a load generator, not a wait for a condition: a little slower while the coordinator is down.
            Thread.sleep(e.acknowledged ? 20 + own.nextInt(40) : 200);
          } catch (InterruptedException ex) {
            return;
          }
        }
      }));
    }
    for (int cycle = 0; cycle < 5; cycle++) {
      if (cycle % 2 == 0) {
        // A kill at an arbitrary moment of the stream: some calls in flight, some results being written.
        Thread.sleep(1000 + random.nextInt(1500));
        coordinator.kill();
      } else {
        // A kill right after the n-th answer any participant gives from now on.
        int n = 10 + random.nextInt(60);
        AtomicInteger answers = new AtomicInteger();
        CompletableFuture<Call> fired = bank.afterFirstReply(c -> answers.incrementAndGet() >= n,
            coordinator::killNow);
        fired.get(HOLD.toSeconds(), TimeUnit.SECONDS);
        coordinator.awaitKilled();
      }
      coordinator.start();
    }
    // Some load on the last incarnation too, then stop the clients.
    Thread.sleep(1000);
    stop.set(true);
    join(clients);
    assertThat(coordinator.kills()).isEqualTo(5);
    assertThat(ledger.acknowledged()).as("acknowledged transactions under load").isGreaterThan(20);
    settleAndVerify();
  }

  /** One recorded workflow step, as {@code registerBranch} sends it and {@code query} returns it. */
  private record WfStep(String branchId, String op, String status, String data) {
    ObjectNode registerBody(String gid) {
      return JSON.createObjectNode().put("gid", gid).put("trans_type", "workflow").put("branch_id", branchId)
          .put("op", op).put("status", status).put("data", data);
    }

    /** The step as stored: empty data is left out of {@code bin_data}. */
    String stored() {
      return branchId + " " + op + " " + status + " " + (data.isEmpty() ? "-" : b64(data));
    }

    static String stored(JsonNode b) {
      return b.path("branch_id").asText() + " " + b.path("op").asText() + " " + b.path("status").asText() + " "
          + (b.has("bin_data") ? b.get("bin_data").asText() : "-");
    }
  }

  /**
   * A workflow of {@link #killWhileWorkflowResumesAreInFlight}: its name and input, every step its client records, how
   * many of them before its first client "crashes", and the status it submits.
   */
  private record Wf(String gid, String name, String input, List<WfStep> steps, int recordedBeforeCrash,
      boolean succeeds) {
    String reason() {
      return succeeds ? "" : "insufficient funds in " + gid;
    }

    String result() {
      return succeeds ? b64("done " + gid) : "";
    }
  }

  @Test
  void killWhileWorkflowResumesAreInFlight() throws Exception {
    String resumePath = "/wf-resume";
    List<Wf> flows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String gid = "k8-wf-" + i;
      boolean succeeds = i % 3 != 2;
      List<WfStep> steps = succeeds
          ? List.of(new WfStep("01", "action", "succeed", "{\"debited\":" + (10 + i) + "}"),
              new WfStep("02", "action", "succeed", ""),
              new WfStep("03", "action", "succeed", "{\"credited\":" + (10 + i) + "}"))
          : List.of(new WfStep("01", "action", "succeed", "{\"debited\":" + (10 + i) + "}"),
              new WfStep("02", "action", "failed", "insufficient funds"),
              new WfStep("01", "compensate", "succeed", ""));
      flows.add(new Wf(gid, i % 2 == 0 ? "transfer" : "refund", "{\"gid\":\"" + gid + "\",\"amount\":" + (10 + i)
          + "}", steps, 1 + i % 2, succeeds));
    }
    Map<String, Wf> byGid = new ConcurrentHashMap<>();
    flows.forEach(f -> byGid.put(f.gid(), f));

    // The resumed clients: a resume call received after the restart replays the progress (prepareWorkflow), records
    // the missing steps and submits. One received before the kill is held at the gate; its client dies with the
    // coordinator (it answers an error once let through, touching nothing), so only a call after the restart resumes.
    AtomicInteger epoch = new AtomicInteger();
    Set<String> heldGids = ConcurrentHashMap.newKeySet();
    Map<String, List<String>> firstReplay = new ConcurrentHashMap<>();
    Map<String, Long> submitAckedAt = new ConcurrentHashMap<>();
    List<String> clientProblems = Collections.synchronizedList(new ArrayList<>());
    Map<String, Object> locks = new ConcurrentHashMap<>();
    Participant callback = new Participant();
    callback.on(resumePath, c -> {
      int arrivedIn = epoch.get();
      Wf f = c.gid() == null ? null : byGid.get(c.gid());
      if (arrivedIn == 0) {
        if (f != null) {
          heldGids.add(f.gid());
        }
        bank.gate.pass();
        return Reply.error();
      }
      if (f == null) {
        return Reply.error();
      }
      synchronized (locks.computeIfAbsent(f.gid(), g -> new Object())) {
        try {
          return resumeWorkflow(f, resumePath, callback, firstReplay, submitAckedAt, clientProblems);
        } catch (IOException e) {
          return Reply.error();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Reply.error();
        }
      }
    });
    try {
      coordinator.start();
      bank.gate.close();
      // The first clients: prepare, record one or two steps, then "crash" (no submit).
      for (Wf f : flows) {
        JsonNode prepared = prepareWorkflow(f, callback.url(resumePath));
        assertThat(prepared.at("/transaction/status").asText()).as(f.gid()).isEqualTo("prepared");
        assertThat(prepared.get("progresses")).as(f.gid()).isEmpty();
        for (WfStep s : f.steps().subList(0, f.recordedBeforeCrash())) {
          CoordinatorProcess.Answer a = coordinator.post("/api/dtmsvr/registerBranch", s.registerBody(f.gid())
              .toString());
          assertThat(a.status()).as("record " + s + " of " + f.gid() + ": " + a.text()).isEqualTo(200);
        }
      }
      // Resumes come at the 200 ms retry interval, each held at the gate (and answered by nobody) until the kill.
      await("a resume call of every workflow held in flight").atMost(HOLD)
          .until(() -> heldGids.size() == flows.size() && bank.gate.held() >= flows.size());
      coordinator.kill();
      epoch.set(1);
      bank.gate.open();
      long restartedAt = System.nanoTime();
      coordinator.start();

      await("every workflow submitted and final").atMost(SETTLE).pollInterval(Duration.ofMillis(100))
          .ignoreExceptionsInstanceOf(IOException.class).untilAsserted(() -> {
            List<String> open = new ArrayList<>();
            for (Wf f : flows) {
              JsonNode t = coordinator.query(f.gid());
              String status = t == null ? "absent" : t.get("status").asText();
              if (!submitAckedAt.containsKey(f.gid()) || !(status.equals("succeed") || status.equals("failed"))) {
                open.add(f.gid() + " is " + status);
              }
            }
            assertThat(open).as("workflows not finished yet").isEmpty();
          });
      long settledMs = (System.nanoTime() - restartedAt) / 1_000_000;
      // Five retry intervals of quiet: a finished workflow must get no more resume calls.
      Thread.sleep(1000);

      List<String> violations = new ArrayList<>(clientProblems);
      List<Call> calls = callback.calls();
      for (Call c : calls) {
        Wf f = c.gid() == null ? null : byGid.get(c.gid());
        if (f == null) {
          violations.add("resume call for a gid no client used: " + c);
        } else if (!resumePath.equals(c.path()) || !"POST".equals(c.method()) || !"workflow".equals(c.transType())
            || !"00".equals(c.branchId()) || !f.name().equals(c.op()) || !f.input().equals(c.body())) {
          violations.add(f.gid() + ": malformed resume call " + c.method() + " " + c.path() + " trans_type="
              + c.transType() + " branch_id=" + c.branchId() + " op=" + c.op() + " body=" + c.body()
              + ", expected POST " + resumePath + " workflow/00/" + f.name() + " " + f.input());
        }
      }
      for (Wf f : flows) {
        String gid = f.gid();
        List<Call> mine = calls.stream().filter(c -> gid.equals(c.gid())).toList();
        if (mine.stream().noneMatch(c -> c.atNanos() > restartedAt)) {
          violations.add(gid + ": no resume call after the restart");
        }
        List<String> recordedBefore = f.steps().subList(0, f.recordedBeforeCrash()).stream().map(WfStep::stored)
            .toList();
        if (!recordedBefore.equals(firstReplay.get(gid))) {
          violations.add(gid + ": the first resume after the restart replayed " + firstReplay.get(gid)
              + ", recorded before the crash " + recordedBefore);
        }
        Long acked = submitAckedAt.get(gid);
        long late = acked == null ? 0 : mine.stream().filter(c -> c.atNanos() > acked).count();
        if (late > 1) {
          violations.add(gid + ": " + late + " resume calls after its submit was acknowledged");
        }
        JsonNode q = coordinator.queryWithBranches(gid);
        JsonNode t = q.get("transaction");
        String expected = f.succeeds() ? "succeed" : "failed";
        if (t == null || t.isNull() || !expected.equals(t.path("status").asText())) {
          violations.add(gid + ": ends " + (t == null || t.isNull() ? "absent" : t.path("status").asText())
              + ", its client submitted " + expected);
        } else if (!f.reason().equals(t.path("rollback_reason").asText())
            || !f.result().equals(t.path("result").asText())) {
          violations.add(gid + ": result " + t.path("result") + ", rollback_reason " + t.path("rollback_reason")
              + ", expected " + f.result() + " and " + f.reason());
        }
        List<String> stored = new ArrayList<>();
        q.path("branches").forEach(b -> stored.add(WfStep.stored(b)));
        List<String> all = f.steps().stream().map(WfStep::stored).toList();
        if (!all.equals(stored)) {
          violations.add(gid + ": stored steps " + stored + ", recorded " + all);
        }
      }
      String summary = flows.size() + " workflows, " + calls.size() + " resume calls ("
          + calls.stream().filter(c -> c.atNanos() > restartedAt).count() + " after the restart); "
          + coordinator.kills() + " kills, " + coordinator.starts() + " starts; all final " + settledMs
          + " ms after the restart";
      System.out.println("k8: " + summary);
      assertThat(violations).as("workflow crash-safety violations; " + summary).isEmpty();
    } finally {
      bank.gate.open();
      callback.close();
    }
  }

  /** prepareWorkflow as a workflow client sends it (no retry_interval: the coordinator's 200 ms). */
  private JsonNode prepareWorkflow(Wf f, String callbackUrl) throws IOException, InterruptedException {
    ObjectNode custom = JSON.createObjectNode().put("name", f.name()).put("data", b64(f.input()));
    ObjectNode body = JSON.createObjectNode().put("gid", f.gid()).put("trans_type", "workflow")
        .put("custom_data", custom.toString()).put("query_prepared", callbackUrl);
    CoordinatorProcess.Answer a = coordinator.post("/api/dtmsvr/prepareWorkflow", body.toString());
    if (a.status() != 200) {
      throw new IOException("prepareWorkflow " + f.gid() + " answered " + a.status() + ": " + a.text());
    }
    return JSON.readTree(a.text());
  }

  /**
   * The resumed client of {@code f}: replays the recorded progress, checks it against its plan, records the missing
   * steps and submits. Anything the coordinator does not answer 200 ends this attempt (the next resume retries).
   */
  private Reply resumeWorkflow(Wf f, String resumePath, Participant callback, Map<String, List<String>> firstReplay,
      Map<String, Long> submitAckedAt, List<String> problems) throws IOException, InterruptedException {
    JsonNode replay = prepareWorkflow(f, callback.url(resumePath));
    String status = replay.at("/transaction/status").asText();
    List<String> progress = new ArrayList<>();
    replay.path("progresses").forEach(b -> progress.add(WfStep.stored(b)));
    firstReplay.putIfAbsent(f.gid(), List.copyOf(progress));
    List<String> planned = f.steps().stream().map(WfStep::stored).toList();
    if (progress.size() > planned.size() || !planned.subList(0, progress.size()).equals(progress)) {
      problems.add(f.gid() + ": replayed progress " + progress + " is not a prefix of the recorded steps " + planned);
      return Reply.error();
    }
    if (!status.equals("prepared")) {
      return Reply.ok(); // finished already (a resume that raced the submit)
    }
    for (WfStep s : f.steps().subList(progress.size(), f.steps().size())) {
      CoordinatorProcess.Answer a = coordinator.post("/api/dtmsvr/registerBranch", s.registerBody(f.gid())
          .toString());
      if (a.status() != 200) {
        return Reply.error();
      }
    }
    ObjectNode extra = JSON.createObjectNode().put("status", f.succeeds() ? "succeed" : "failed")
        .put("result", f.result()).put("rollback_reason", f.reason());
    ObjectNode submit = JSON.createObjectNode().put("gid", f.gid()).put("trans_type", "workflow");
    submit.set("req_extra", extra);
    CoordinatorProcess.Answer a = coordinator.post("/api/dtmsvr/submit", submit.toString());
    if (a.status() != 200) {
      return Reply.error();
    }
    submitAckedAt.putIfAbsent(f.gid(), System.nanoTime());
    return Reply.ok();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A mix of everything, weighted towards what is most likely to go wrong in a crash. */
  private static Txn randomTxn(Random r, String gid) {
    boolean wait = r.nextInt(10) < 4;
    Txn t = switch (r.nextInt(10)) {
      case 0 -> Txn.saga(gid, step(OK, OK), step(SLOW, SLOW), step(FLAKY, OK));
      case 1 -> Txn.saga(gid, step(SLOW, FLAKY), step(FAIL, OK), step(OK, OK));
      case 2 -> Txn.sagaDag(gid, Map.of(2, List.of(0, 1), 3, List.of(2)), step(SLOW, OK), step(FLAKY, SLOW),
          step(OK, OK), step(OK, FLAKY));
      case 3 -> Txn.sagaDag(gid, Map.of(2, List.of(0, 1)), step(SLOW, SLOW), step(FAIL, OK), step(OK, OK));
      case 4 -> r.nextBoolean() ? Txn.msg(gid, Mode.MSG_SUBMIT, OK, SLOW)
          : Txn.msg(gid, Mode.MSG_SUBMIT, FLAKY, OK).concurrent();
      case 5 -> Txn.msg(gid, Mode.MSG_PREPARE_SUBMIT, FLAKY, OK);
      case 6 -> Txn.msg(gid, Mode.MSG_CHECK_BACK, SLOW);
      case 7 -> Txn.msg(gid, Mode.MSG_CHECK_BACK, OK).rolledBack();
      case 8 -> Txn.tcc(gid, decision(r), step(SLOW, OK), step(OK, FLAKY), step(FLAKY, SLOW));
      default -> Txn.xa(gid, decision(r), OK, SLOW, FLAKY);
    };
    return wait && t.mode != Mode.MSG_CHECK_BACK && t.decision != TIMEOUT ? t.waitResult() : t;
  }

  private static Decision decision(Random r) {
    return Decision.values()[r.nextInt(Decision.values().length)];
  }

  private static Step step(Behaviour action, Behaviour compensate) {
    return new Step(action, compensate);
  }

  /**
   * After a restart, the TCC and XA clients whose submit or abort a crash cut off send it again, as a DTM client
   * would; the answer tells them whether it is now decided their way (see {@link Ledger#retryDecision}).
   *
   * @return one started client per resent decision
   */
  private List<Thread> resendCutOffDecisions(String tag) {
    List<Thread> resends = new ArrayList<>();
    for (Ledger.Entry e : ledger.entries()) {
      if (e.decisionSent == null || e.decisionAcknowledged) {
        continue;
      }
      resends.add(Thread.ofVirtual().name("resend-" + e.txn.gid).start(() -> {
        try {
          ledger.retryDecision(coordinator, e);
          System.out.println(tag + ": " + e.txn.gid + " " + e.replies);
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    return resends;
  }

  /** Starts one client per transaction (a {@code wait_result} submit blocks its client until the round ends). */
  private List<Thread> runConcurrently(List<Txn> batch) {
    List<Thread> clients = new ArrayList<>();
    for (Txn t : batch) {
      clients.add(Thread.ofVirtual().name("client-" + t.gid).start(() -> {
        try {
          ledger.run(coordinator, t);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    return clients;
  }

  private static void join(List<Thread> clients) throws InterruptedException {
    for (Thread t : clients) {
      assertThat(t.join(Duration.ofSeconds(30))).as("client " + t.getName() + " finished").isTrue();
    }
  }

  private void settleAndVerify() throws Exception {
    long begin = System.nanoTime();
    ledger.awaitSettled(coordinator, SETTLE);
    long settled = (System.nanoTime() - begin) / 1_000_000;
    List<String> violations = ledger.violations(coordinator);
    String summary = ledger.summary() + "; " + coordinator.kills() + " kills, " + coordinator.starts()
        + " starts; all final " + settled + " ms after the last restart";
    System.out.println(summary);
    assertThat(violations).as("crash-safety violations; " + summary).isEmpty();
    assertThat(ledger.acknowledged()).as("acknowledged transactions").isPositive();
  }
}
