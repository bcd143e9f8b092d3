package io.cohort.core.engine;

import static io.cohort.core.engine.EngineCommandsTest.assertRefused;
import static io.cohort.core.testing.Fixtures.msgCmd;
import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.phaseTwoCmd;
import static io.cohort.core.testing.Fixtures.sagaCmd;
import static io.cohort.core.testing.Fixtures.workflowCmd;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.plan.BranchCall;
import io.cohort.core.plan.BranchOutcome;
import io.cohort.core.testing.Fixtures;
import io.cohort.core.testing.Harness;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.ErrorCode;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** TCC, XA, workflow and topics through the engine: registration, phase two, timeouts, and what is refused. */
class EngineModesTest {
  final Harness h = new Harness();

  @AfterEach
  void noIllegalWrites() {
    assertThat(h.recorder.violations()).isEmpty();
  }

  static RegisterBranch tcc(String gid, String branchId) {
    return new RegisterBranch(gid, TransType.TCC, branchId, "", "", ("{\"id\":\"" + branchId + "\"}")
        .getBytes(StandardCharsets.UTF_8), "http://svc.test/" + branchId + "/confirm",
        "http://svc.test/" + branchId + "/cancel", "");
  }

  static RegisterBranch xa(String gid, String branchId) {
    return new RegisterBranch(gid, TransType.XA, branchId, "", "", null, "", "", "http://svc.test/xa/" + branchId);
  }

  static RegisterBranch step(String gid, String branchId, String op, String status) {
    return new RegisterBranch(gid, TransType.WORKFLOW, branchId, op, status, "result".getBytes(StandardCharsets.UTF_8),
        "", "", "");
  }

  Transaction submitAndDrive(String gid, TransType type) {
    return h.submitAndDrive(phaseTwoCmd(gid, type, TransOptions.DEFAULTS));
  }

  Transaction abortAndDrive(String gid, TransType type) {
    Engine.Submitted s = h.engine.abort(gid, type, "try failed");
    return s.drive() ? h.engine.drive(s.transaction()) : s.transaction();
  }

  // ---------------------------------------------------------------- tcc

  @Test
  void tccPrepareRegisterSubmitConfirmsLastFirst() {
    Transaction p = h.engine.prepare(phaseTwoCmd("t1", TransType.TCC, TransOptions.DEFAULTS));
    assertThat(p.status()).isEqualTo(GlobalStatus.PREPARED);
    assertThat(p.nextWake()).as("a prepared tcc is due at its timeout").isEqualTo(p.createTime().plusSeconds(35));
    h.engine.registerBranch(tcc("t1", "01"));
    h.engine.registerBranch(tcc("t1", "0101"));
    Transaction registered = h.engine.registerBranch(tcc("t1", "02"));
    assertThat(registered.branches()).extracting(b -> b.branchId() + "/" + b.op()).containsExactly(
        "01/cancel", "01/confirm", "0101/cancel", "0101/confirm", "02/cancel", "02/confirm");
    assertThat(registered.nextWake()).as("registration keeps the schedule").isEqualTo(p.nextWake());

    Transaction done = submitAndDrive("t1", TransType.TCC);
    assertThat(done.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys()).containsExactly("02/confirm", "0101/confirm", "01/confirm");
    BranchCall first = h.invoker.received().get(0).call();
    assertThat(first.post()).as("confirm carries the registered data").isTrue();
    assertThat(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"02\"}");
    assertThat(first.url()).isEqualTo("http://svc.test/02/confirm");
    assertThat(first.transType()).isEqualTo("tcc");
  }

  @Test
  void tccAbortCancelsLastFirstAndNeverConfirms() {
    h.engine.prepare(phaseTwoCmd("t2", TransType.TCC, TransOptions.DEFAULTS));
    h.engine.registerBranch(tcc("t2", "01"));
    h.engine.registerBranch(tcc("t2", "02"));
    Transaction done = abortAndDrive("t2", TransType.TCC);
    assertThat(done.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(done.rollbackReason()).isEqualTo("try failed");
    assertThat(h.invoker.keys()).containsExactly("02/cancel", "01/cancel");
    assertRefused(() -> h.engine.submit(phaseTwoCmd("t2", TransType.TCC, TransOptions.DEFAULTS)), ErrorCode.FAILURE,
        "current status 'failed'");
  }

  @Test
  void preparedTccTimesOutAndCancels() {
    h.engine.prepare(phaseTwoCmd("t3", TransType.TCC, opts().timeoutToFail(Duration.ofSeconds(5)).build()));
    h.engine.registerBranch(tcc("t3", "01"));
    Transaction done = h.runToFinal("t3", 5);
    assertThat(done.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(done.rollbackReason()).isEqualTo("Timeout after 5 seconds");
    assertThat(h.invoker.keys()).containsExactly("01/cancel");
    assertRefused(() -> h.engine.registerBranch(tcc("t3", "02")), ErrorCode.FAILURE, "not prepared");
  }

  @Test
  void aConfirmThatFailsIsRetriedUntilItSucceeds() {
    h.engine.prepare(phaseTwoCmd("t4", TransType.TCC, TransOptions.DEFAULTS));
    h.engine.registerBranch(tcc("t4", "01"));
    h.invoker.script("01", "confirm", new BranchOutcome.Failed("HTTP 409"), new BranchOutcome.Unreachable("down"));
    Transaction first = submitAndDrive("t4", TransType.TCC);
    assertThat(first.status()).isEqualTo(GlobalStatus.SUBMITTED);
    assertThat(first.branches().get(1).lastError()).contains("409");
    Transaction done = h.runToFinal("t4", 10);
    assertThat(done.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys()).containsExactly("01/confirm", "01/confirm", "01/confirm");
  }

  @Test
  void registrationIsRefusedWhereDtmRefusesItAndChangesNothing() {
    h.engine.prepare(phaseTwoCmd("r1", TransType.TCC, TransOptions.DEFAULTS));
    h.engine.registerBranch(tcc("r1", "01"));
    Transaction before = h.store.get("r1");
    assertRefused(() -> h.engine.registerBranch(tcc("r1", "01")), ErrorCode.FAILURE, "already registered");
    assertRefused(() -> h.engine.registerBranch(tcc("nope", "01")), ErrorCode.FAILURE, "no transaction with gid 'nope'");
    assertRefused(() -> h.engine.registerBranch(xa("r1", "02")), ErrorCode.FAILURE, "is a tcc, not a xa");
    assertRefused(() -> h.engine.registerBranch(new RegisterBranch("r1", TransType.TCC, "03", "", "", null,
        "http://svc.test/c", "", "")), ErrorCode.BAD_REQUEST, "cancel");
    assertRefused(() -> h.engine.registerBranch(new RegisterBranch("r1", TransType.TCC, "", "", "", null,
        "http://svc.test/c", "http://svc.test/x", "")), ErrorCode.BAD_REQUEST, "branch_id is required");
    assertRefused(() -> h.engine.registerBranch(new RegisterBranch("r1", TransType.TCC, "03", "confirm", "", null,
        "http://svc.test/c", "http://svc.test/x", "")), ErrorCode.BAD_REQUEST, "unknown op 'confirm'");
    assertRefused(() -> h.engine.registerBranch(new RegisterBranch("r1", TransType.SAGA, "03", "", "", null, "", "",
        "")), ErrorCode.BAD_REQUEST, "has no registered branches");
    assertThat(h.store.get("r1")).isEqualTo(before);

    h.submitAndDrive(sagaCmd("s1", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.registerBranch(tcc("s1", "01")), ErrorCode.FAILURE, "is a saga, not a tcc");
  }

  @Test
  void tccAndXaAreSubmittedOnlyAfterPrepare() {
    assertRefused(() -> h.engine.submit(phaseTwoCmd("new", TransType.TCC, TransOptions.DEFAULTS)),
        ErrorCode.NOT_FOUND, "prepared before it is submitted");
    assertThat(h.store.size()).isZero();
  }

  @Test
  void abortIsRefusedWhereItCannotApply() {
    h.engine.prepare(phaseTwoCmd("a1", TransType.TCC, TransOptions.DEFAULTS));
    submitAndDrive("a1", TransType.TCC);
    assertRefused(() -> h.engine.abort("a1", TransType.TCC, null), ErrorCode.FAILURE, "current status 'succeed'");
    assertRefused(() -> h.engine.abort("a1", TransType.XA, null), ErrorCode.FAILURE, "is a tcc, not a xa");
    assertRefused(() -> h.engine.abort("a1", TransType.WORKFLOW, null), ErrorCode.FAILURE, "req_extra.status");
  }

  // ---------------------------------------------------------------- xa

  @Test
  void xaCommitsInRegistrationOrderAlwaysByPost() {
    h.engine.prepare(phaseTwoCmd("x1", TransType.XA, TransOptions.DEFAULTS));
    h.engine.registerBranch(xa("x1", "01"));
    h.engine.registerBranch(xa("x1", "02"));
    assertThat(h.store.get("x1").branches()).extracting(b -> b.branchId() + "/" + b.op() + " " + b.url())
        .containsExactly("01/rollback http://svc.test/xa/01", "01/commit http://svc.test/xa/01",
            "02/rollback http://svc.test/xa/02", "02/commit http://svc.test/xa/02");
    assertThat(submitAndDrive("x1", TransType.XA).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys()).containsExactly("01/commit", "02/commit");
    assertThat(h.invoker.received()).allSatisfy(r -> {
      assertThat(r.call().post()).as("xa phase 2 is always POST").isTrue();
      assertThat(r.call().body()).isEmpty();
    });
  }

  @Test
  void xaAbortAndTimeoutRollBack() {
    h.engine.prepare(phaseTwoCmd("x2", TransType.XA, TransOptions.DEFAULTS));
    h.engine.registerBranch(xa("x2", "01"));
    h.engine.registerBranch(xa("x2", "02"));
    assertThat(abortAndDrive("x2", TransType.XA).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(h.invoker.keys()).containsExactly("01/rollback", "02/rollback");

    h.invoker.clear();
    h.engine.prepare(phaseTwoCmd("x3", TransType.XA, TransOptions.DEFAULTS));
    h.engine.registerBranch(xa("x3", "01"));
    Transaction done = h.runToFinal("x3", 5);
    assertThat(done.rollbackReason()).isEqualTo("Timeout after 35 seconds");
    assertThat(h.invoker.keys()).containsExactly("01/rollback");
  }

  // ---------------------------------------------------------------- workflow

  @Test
  void workflowRecordsProgressAndEndsWithTheClientsStatus() {
    Transaction w = h.engine.prepareWorkflow(workflowCmd("w1", TransOptions.DEFAULTS));
    assertThat(w.status()).isEqualTo(GlobalStatus.PREPARED);
    assertThat(w.nextWake()).isEqualTo(w.createTime().plusSeconds(10));
    h.clock.advance(Duration.ofSeconds(4));
    Transaction recorded = h.engine.registerBranch(step("w1", "01", "action", "succeed"));
    assertThat(recorded.nextWake()).as("progress pushes the resume away").isEqualTo(h.clock.instant().plusSeconds(10));
    h.engine.registerBranch(step("w1", "02", "action", "failed"));
    h.engine.registerBranch(step("w1", "01", "compensate", "succeed"));
    assertRefused(() -> h.engine.registerBranch(step("w1", "01", "action", "succeed")), ErrorCode.FAILURE,
        "already registered");

    Transaction again = h.engine.prepareWorkflow(workflowCmd("w1", TransOptions.DEFAULTS));
    assertThat(again.branches()).extracting(b -> b.branchId() + "/" + b.op() + "/" + b.status().wire())
        .containsExactly("01/action/succeed", "02/action/failed", "01/compensate/succeed");

    Transaction failed = h.engine.finishWorkflow("w1", "failed", "", "step 02 failed");
    assertThat(failed.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(failed.rollbackReason()).isEqualTo("step 02 failed");
    assertThat(failed.nextWake()).isNull();
    assertThat(h.engine.finishWorkflow("w1", "failed", "", "again").rollbackReason())
        .as("the same final status again is accepted and changes nothing").isEqualTo("step 02 failed");
    assertRefused(() -> h.engine.finishWorkflow("w1", "succeed", "", ""), ErrorCode.FAILURE, "current status 'failed'");
    assertThat(h.invoker.received()).as("the coordinator never calls a workflow step").isEmpty();
  }

  @Test
  void workflowSucceedsWithItsResult() {
    h.engine.prepareWorkflow(workflowCmd("w2", TransOptions.DEFAULTS));
    Transaction ok = h.engine.finishWorkflow("w2", "succeed", "b2s=", "");
    assertThat(ok.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(ok.result()).isEqualTo("b2s=");
    assertRefused(() -> h.engine.finishWorkflow("w2", "done", "", ""), ErrorCode.BAD_REQUEST, "req_extra.status");
    assertRefused(() -> h.engine.finishWorkflow("nope", "succeed", "", ""), ErrorCode.NOT_FOUND, "nope");
  }

  @Test
  void unfinishedWorkflowIsResumedAtTheFixedInterval() {
    Transaction w = h.engine.prepareWorkflow(workflowCmd("w3", TransOptions.DEFAULTS));
    h.invoker.fallback(c -> new BranchOutcome.Unreachable("client down"));
    h.tick();
    h.tick();
    assertThat(h.invoker.received()).hasSize(2);
    BranchCall resume = h.invoker.received().get(0).call();
    assertThat(resume.op()).as("op is the workflow name").isEqualTo("wf-name");
    assertThat(resume.branchId()).isEqualTo("00");
    assertThat(resume.url()).isEqualTo(Fixtures.CHECK_BACK_URL);
    assertThat(new String(resume.body(), StandardCharsets.UTF_8)).as("the input, base64-decoded").isEqualTo("input");
    assertThat(resume.post()).isTrue();
    Transaction stored = h.store.get("w3");
    assertThat(stored.status()).isEqualTo(GlobalStatus.PREPARED);
    assertThat(stored.nextWake()).isEqualTo(w.createTime().plusSeconds(30));
    h.engine.finishWorkflow("w3", "succeed", "", "");
    assertThat(h.tick()).as("nothing is due after the client ended it").isEmpty();
  }

  @Test
  void workflowCommandsRefuseOtherModes() {
    h.engine.prepare(msgCmd("m1", 1, TransOptions.DEFAULTS));
    assertRefused(() -> h.engine.prepareWorkflow(workflowCmd("m1", TransOptions.DEFAULTS)), ErrorCode.FAILURE,
        "is a msg, not a workflow");
    assertRefused(() -> h.engine.finishWorkflow("m1", "succeed", "", ""), ErrorCode.FAILURE, "is a msg");
    assertRefused(() -> h.engine.prepare(workflowCmd("w9", TransOptions.DEFAULTS)), ErrorCode.BAD_REQUEST,
        "prepareWorkflow");
    assertRefused(() -> h.engine.prepareWorkflow(new NewTransaction("w9", TransType.WORKFLOW, List.of(), List.of(),
        "", "", "http", TransOptions.DEFAULTS)), ErrorCode.BAD_REQUEST, "custom_data.name");
    assertThat(h.store.find("w9")).isEmpty();
  }

  // ---------------------------------------------------------------- topics and resetCronTime

  @Test
  void topicStepsFanOutToEverySubscriber() {
    h.topics.put("orders", List.of("http://a.test/o", "http://b.test/o"));
    h.topics.put("single", List.of("http://c.test/s"));
    NewTransaction cmd = new NewTransaction("m2", TransType.MSG, List.of(new NewTransaction.Step("topic://orders", ""),
        new NewTransaction.Step("topic://single", ""), new NewTransaction.Step("http://d.test/x", "")),
        List.of(), "", Fixtures.CHECK_BACK_URL, "http", TransOptions.DEFAULTS);
    Transaction done = h.submitAndDrive(cmd);
    assertThat(done.branches()).extracting(b -> b.branchId() + " " + b.url()).containsExactly(
        "01-01 http://a.test/o", "01-02 http://b.test/o", "02 http://c.test/s", "03 http://d.test/x");
    assertThat(done.status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(h.invoker.keys()).containsExactly("01-01/action", "01-02/action", "02/action", "03/action");

    NewTransaction unknown = new NewTransaction("m3", TransType.MSG, List.of(new NewTransaction.Step("topic://none",
        "")), List.of(), "", Fixtures.CHECK_BACK_URL, "http", TransOptions.DEFAULTS);
    assertRefused(() -> h.engine.prepare(unknown), ErrorCode.BAD_REQUEST, "topic 'none' has no subscribers");
    assertThat(h.store.find("m3")).isEmpty();
  }

  @Test
  void resetCronTimeMakesFarAwayTransactionsDueNow() {
    h.engine.prepare(phaseTwoCmd("near", TransType.TCC, opts().timeoutToFail(Duration.ofSeconds(20)).build()));
    h.engine.prepare(phaseTwoCmd("far1", TransType.TCC, opts().timeoutToFail(Duration.ofSeconds(500)).build()));
    h.engine.prepare(phaseTwoCmd("far2", TransType.XA, opts().timeoutToFail(Duration.ofSeconds(900)).build()));
    Engine.ResetResult first = h.engine.resetCronTime(Duration.ofSeconds(100), 1);
    assertThat(first).isEqualTo(new Engine.ResetResult(1, true));
    Engine.ResetResult second = h.engine.resetCronTime(Duration.ofSeconds(100), 10);
    assertThat(second).isEqualTo(new Engine.ResetResult(1, false));
    assertThat(h.store.get("far1").nextWake()).isEqualTo(h.clock.instant());
    assertThat(h.store.get("far2").nextWake()).isEqualTo(h.clock.instant());
    assertThat(h.store.get("near").nextWake()).isEqualTo(h.clock.instant().plusSeconds(20));
    assertThat(h.store.get("far1").status()).as("a reset only reschedules").isEqualTo(GlobalStatus.PREPARED);
    assertThat(h.store.get("far1").branches()).isEmpty();
  }

  @Test
  void workflowBranchStatusesAreRecordedAsGiven() {
    h.engine.prepareWorkflow(workflowCmd("w4", TransOptions.DEFAULTS));
    Transaction t = h.engine.registerBranch(step("w4", "01", "action", "prepared"));
    assertThat(t.branches().get(0).status()).isEqualTo(BranchStatus.PREPARED);
    assertRefused(() -> h.engine.registerBranch(step("w4", "02", "action", "done")), ErrorCode.BAD_REQUEST,
        "not a branch status");
    assertRefused(() -> h.engine.registerBranch(step("w4", "02", "dance", "succeed")), ErrorCode.BAD_REQUEST,
        "unknown op 'dance'");
  }
}
