package io.cohort.core.engine;

import static io.cohort.core.testing.Fixtures.msgCmd;
import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.phaseTwoCmd;
import static io.cohort.core.testing.Fixtures.sagaCmd;
import static io.cohort.core.testing.Fixtures.workflowCmd;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.plan.BranchOutcome;
import io.cohort.core.testing.Harness;
import io.cohort.core.testing.TransitionRecorder;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * State machines that document themselves (STYLE practice 6).
 *
 * <p>Renders the {@link GlobalStatus} and {@link BranchStatus} transition tables ({@code validPrevious()}) to Mermaid
 * diagrams in {@code docs/state-machines.md}, with a table of which mode takes which transition and why. The "why" is
 * not free text: every use names the engine scenario below that takes it, and the scenarios run here, through the
 * engine over the recording test store, so only durably written transitions count. The test fails when
 *
 * <ul>
 *   <li>a transition in a table is taken by no scenario and is not explicitly reserved;
 *   <li>a documented use is not taken by the scenario that is supposed to prove it;
 *   <li>a scenario takes a transition (or creates a transaction in a status) that is not documented;
 *   <li>a reserved transition is taken (the reservation is stale);
 *   <li>the checked-in file differs from what is generated, unless {@code -Dcohort.updateDocs=true} is set, in which
 *       case it rewrites the file.
 * </ul>
 */
class StateMachineDocsTest {
  static final String UPDATE_PROPERTY = "cohort.updateDocs";
  static final BranchOutcome FAIL = new BranchOutcome.Failed("HTTP 409: FAILURE");
  static final BranchOutcome DOWN = new BranchOutcome.Unreachable("HTTP 503");

  // ---------------------------------------------------------------- scenarios: each asserts its own end state

  record Scenario(String name, String description, Consumer<Harness> body) {}

  static final List<Scenario> SCENARIOS = List.of(
      new Scenario("saga-succeeds", "a saga whose actions all succeed", h -> {
        assertThat(h.submitAndDrive(sagaCmd("g", 2, TransOptions.DEFAULTS)).status()).isEqualTo(GlobalStatus.SUCCEED);
      }),
      new Scenario("saga-action-failure", "a saga whose second action answers FAILURE", h -> {
        h.invoker.script("02", BranchOp.ACTION, FAIL);
        Transaction t = h.submitAndDrive(sagaCmd("g", 2, TransOptions.DEFAULTS));
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.invoker.keys()).containsExactly("01/action", "02/action", "02/compensate", "01/compensate");
      }),
      new Scenario("saga-timeout", "a saga with timeout_to_fail 30 s whose action stays unreachable", h -> {
        h.invoker.fallback(c -> c.op().equals(BranchOp.ACTION) ? DOWN : BranchOutcome.SUCCEEDED);
        h.submitAndDrive(sagaCmd("g", 1, opts().timeoutToFail(Duration.ofSeconds(30)).build()));
        Transaction t = h.runToFinal("g", 20);
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(t.rollbackReason()).isEqualTo("Timeout after 30 seconds");
      }),
      new Scenario("saga-retry-limit", "a saga with retry_limit 1 whose action stays unreachable", h -> {
        h.invoker.fallback(c -> c.op().equals(BranchOp.ACTION) ? DOWN : BranchOutcome.SUCCEEDED);
        h.submitAndDrive(sagaCmd("g", 1, opts().retryLimit(1).build()));
        Transaction t = h.runToFinal("g", 20);
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(t.rollbackReason()).contains("retry limit 1");
      }),
      new Scenario("saga-forcestop-submitted", "forceStop of a saga waiting to retry an action", h -> {
        h.invoker.script("01", BranchOp.ACTION, DOWN);
        assertThat(h.submitAndDrive(sagaCmd("g", 1, TransOptions.DEFAULTS)).status())
            .isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("saga-forcestop-aborting", "forceStop of a saga waiting to retry a compensation", h -> {
        h.invoker.script("01", BranchOp.ACTION, FAIL);
        h.invoker.script("01", BranchOp.COMPENSATE, DOWN);
        assertThat(h.submitAndDrive(sagaCmd("g", 1, TransOptions.DEFAULTS)).status())
            .isEqualTo(GlobalStatus.ABORTING);
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("msg-submit-directly", "a msg submitted without prepare, delivered", h -> {
        assertThat(h.submitAndDrive(msgCmd("g", 2, TransOptions.DEFAULTS)).status()).isEqualTo(GlobalStatus.SUCCEED);
      }),
      new Scenario("msg-prepare-submit", "a msg prepared, then submitted by the client, delivered", h -> {
        h.engine.prepare(msgCmd("g", 2, TransOptions.DEFAULTS));
        assertThat(h.submitAndDrive(msgCmd("g", 2, TransOptions.DEFAULTS)).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.invoker.keys()).doesNotContain("00/msg");
      }),
      new Scenario("msg-abort", "a msg prepared, then aborted by the client", h -> {
        h.engine.prepare(msgCmd("g", 1, TransOptions.DEFAULTS));
        assertThat(h.engine.abort("g", TransType.MSG, "no").transaction().status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("msg-checkback-success", "a prepared msg never submitted; its check-back answers SUCCESS", h -> {
        h.engine.prepare(msgCmd("g", 1, TransOptions.DEFAULTS));
        assertThat(h.runToFinal("g", 5).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.invoker.keys()).containsExactly("00/msg", "01/action");
      }),
      new Scenario("msg-checkback-failure", "a prepared msg never submitted; its check-back answers FAILURE", h -> {
        h.engine.prepare(msgCmd("g", 1, TransOptions.DEFAULTS));
        h.invoker.script("00", BranchOp.MSG, FAIL);
        assertThat(h.runToFinal("g", 5).status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("msg-forcestop-prepared", "forceStop of a prepared msg", h -> {
        h.engine.prepare(msgCmd("g", 1, TransOptions.DEFAULTS));
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("msg-forcestop-submitted", "forceStop of a submitted msg waiting to retry an action", h -> {
        h.invoker.script("01", BranchOp.ACTION, FAIL);
        assertThat(h.submitAndDrive(msgCmd("g", 1, TransOptions.DEFAULTS)).status()).isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("tcc-confirm", "a tcc prepared, two branches registered (01 and nested 0101), submitted", h -> {
        preparePhaseTwo(h, TransType.TCC, TransOptions.DEFAULTS, "01", "0101");
        assertThat(h.submitAndDrive(phaseTwoCmd("g", TransType.TCC, TransOptions.DEFAULTS)).status())
            .isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.invoker.keys()).containsExactly("0101/confirm", "01/confirm");
      }),
      new Scenario("tcc-confirm-failure-retried", "a tcc whose confirm answers FAILURE once, then SUCCESS", h -> {
        preparePhaseTwo(h, TransType.TCC, TransOptions.DEFAULTS, "01");
        h.invoker.script("01", BranchOp.CONFIRM, FAIL);
        assertThat(h.submitAndDrive(phaseTwoCmd("g", TransType.TCC, TransOptions.DEFAULTS)).status())
            .isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(h.runToFinal("g", 5).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.invoker.keys()).containsExactly("01/confirm", "01/confirm");
      }),
      new Scenario("tcc-abort", "a tcc prepared, two branches registered, aborted by the client", h -> {
        preparePhaseTwo(h, TransType.TCC, TransOptions.DEFAULTS, "01", "02");
        Transaction t = abortAndDrive(h, TransType.TCC);
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(t.rollbackReason()).isEqualTo("try failed");
        assertThat(h.invoker.keys()).containsExactly("02/cancel", "01/cancel");
      }),
      new Scenario("tcc-timeout", "a tcc with timeout_to_fail 5 s, prepared and never submitted", h -> {
        preparePhaseTwo(h, TransType.TCC, opts().timeoutToFail(Duration.ofSeconds(5)).build(), "01");
        Transaction t = h.runToFinal("g", 5);
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(t.rollbackReason()).isEqualTo("Timeout after 5 seconds");
        assertThat(h.invoker.keys()).containsExactly("01/cancel");
      }),
      new Scenario("tcc-forcestop-prepared", "forceStop of a prepared tcc", h -> {
        preparePhaseTwo(h, TransType.TCC, TransOptions.DEFAULTS, "01");
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.invoker.keys()).isEmpty();
      }),
      new Scenario("tcc-forcestop-submitted", "forceStop of a submitted tcc waiting to retry a confirm", h -> {
        preparePhaseTwo(h, TransType.TCC, TransOptions.DEFAULTS, "01");
        h.invoker.script("01", BranchOp.CONFIRM, DOWN);
        assertThat(h.submitAndDrive(phaseTwoCmd("g", TransType.TCC, TransOptions.DEFAULTS)).status())
            .isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("tcc-forcestop-aborting", "forceStop of an aborting tcc waiting to retry a cancel", h -> {
        preparePhaseTwo(h, TransType.TCC, TransOptions.DEFAULTS, "01");
        h.invoker.script("01", BranchOp.CANCEL, DOWN);
        assertThat(abortAndDrive(h, TransType.TCC).status()).isEqualTo(GlobalStatus.ABORTING);
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("xa-commit", "an xa prepared, two branches registered, submitted", h -> {
        preparePhaseTwo(h, TransType.XA, TransOptions.DEFAULTS, "01", "02");
        assertThat(h.submitAndDrive(phaseTwoCmd("g", TransType.XA, TransOptions.DEFAULTS)).status())
            .isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.invoker.keys()).containsExactly("01/commit", "02/commit");
      }),
      new Scenario("xa-rollback", "an xa prepared, two branches registered, aborted by the client", h -> {
        preparePhaseTwo(h, TransType.XA, TransOptions.DEFAULTS, "01", "02");
        Transaction t = abortAndDrive(h, TransType.XA);
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(t.rollbackReason()).isEqualTo("try failed");
        assertThat(h.invoker.keys()).containsExactly("01/rollback", "02/rollback");
      }),
      new Scenario("xa-timeout", "an xa with the default timeout_to_fail (35 s), prepared and never submitted", h -> {
        preparePhaseTwo(h, TransType.XA, TransOptions.DEFAULTS, "01");
        Transaction t = h.runToFinal("g", 5);
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(t.rollbackReason()).isEqualTo("Timeout after 35 seconds");
        assertThat(h.invoker.keys()).containsExactly("01/rollback");
      }),
      new Scenario("xa-forcestop-prepared", "forceStop of a prepared xa", h -> {
        preparePhaseTwo(h, TransType.XA, TransOptions.DEFAULTS, "01");
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.invoker.keys()).isEmpty();
      }),
      new Scenario("xa-forcestop-submitted", "forceStop of a submitted xa waiting to retry a commit", h -> {
        preparePhaseTwo(h, TransType.XA, TransOptions.DEFAULTS, "01");
        h.invoker.script("01", BranchOp.COMMIT, DOWN);
        assertThat(h.submitAndDrive(phaseTwoCmd("g", TransType.XA, TransOptions.DEFAULTS)).status())
            .isEqualTo(GlobalStatus.SUBMITTED);
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("xa-forcestop-aborting", "forceStop of an aborting xa waiting to retry a rollback", h -> {
        preparePhaseTwo(h, TransType.XA, TransOptions.DEFAULTS, "01");
        h.invoker.script("01", BranchOp.ROLLBACK, DOWN);
        assertThat(abortAndDrive(h, TransType.XA).status()).isEqualTo(GlobalStatus.ABORTING);
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }),
      new Scenario("workflow-success", "a workflow whose client records steps 01 succeed, 02 failed (handled), 03"
          + " succeed, then submits succeed", h -> {
        h.engine.prepareWorkflow(workflowCmd("g", TransOptions.DEFAULTS));
        h.engine.registerBranch(step("01", BranchOp.ACTION, "succeed"));
        h.engine.registerBranch(step("02", BranchOp.ACTION, "failed"));
        h.engine.registerBranch(step("03", BranchOp.ACTION, "succeed"));
        Transaction t = h.engine.finishWorkflow("g", "succeed", "b2s=", "");
        assertThat(t.status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(t.result()).isEqualTo("b2s=");
        assertThat(h.invoker.keys()).as("the coordinator never calls a workflow step").isEmpty();
      }),
      new Scenario("workflow-failure", "a workflow whose client records step 01 succeed, 02 failed, 01 compensated,"
          + " then submits failed", h -> {
        h.engine.prepareWorkflow(workflowCmd("g", TransOptions.DEFAULTS));
        h.engine.registerBranch(step("01", BranchOp.ACTION, "succeed"));
        h.engine.registerBranch(step("02", BranchOp.ACTION, "failed"));
        h.engine.registerBranch(step("01", BranchOp.COMPENSATE, "succeed"));
        Transaction t = h.engine.finishWorkflow("g", "failed", "", "step 02 failed");
        assertThat(t.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(t.rollbackReason()).isEqualTo("step 02 failed");
        assertThat(h.invoker.keys()).as("the coordinator never calls a workflow step").isEmpty();
      }),
      new Scenario("workflow-forcestop", "forceStop of a workflow whose client stopped answering resume calls", h -> {
        h.engine.prepareWorkflow(workflowCmd("g", TransOptions.DEFAULTS));
        h.invoker.fallback(c -> DOWN);
        h.tick();
        assertThat(h.invoker.keys()).as("one resume call").containsExactly("00/wf-name");
        assertThat(h.engine.forceStop("g").status()).isEqualTo(GlobalStatus.FAILED);
      }));

  /** Prepares tcc or xa {@code g} and registers branches {@code ids} in order, as the client's phase one does. */
  static void preparePhaseTwo(Harness h, TransType type, TransOptions o, String... ids) {
    assertThat(h.engine.prepare(phaseTwoCmd("g", type, o)).status()).isEqualTo(GlobalStatus.PREPARED);
    for (String id : ids) {
      RegisterBranch r = type == TransType.TCC
          ? new RegisterBranch("g", type, id, "", "", ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8),
              "http://svc.test/" + id + "/confirm", "http://svc.test/" + id + "/cancel", "")
          : new RegisterBranch("g", type, id, "", "", null, "", "", "http://svc.test/xa/" + id);
      assertThat(h.engine.registerBranch(r).status()).isEqualTo(GlobalStatus.PREPARED);
    }
  }

  /** A workflow step of {@code g} as its client records it. */
  static RegisterBranch step(String id, String op, String status) {
    return new RegisterBranch("g", TransType.WORKFLOW, id, op, status, "result".getBytes(StandardCharsets.UTF_8), "",
        "", "");
  }

  /** The client's abort of {@code g}, then the round the server runs when it is told to. */
  static Transaction abortAndDrive(Harness h, TransType type) {
    Engine.Submitted s = h.engine.abort("g", type, "try failed");
    return s.drive() ? h.engine.drive(s.transaction()) : s.transaction();
  }

  // ---------------------------------------------------------------- what each mode uses, and which scenario proves it

  record Created(TransType mode, GlobalStatus status, String trigger, String scenario) {}

  record Use(TransType mode, GlobalStatus from, GlobalStatus to, String trigger, String scenario) {}

  record BranchUse(TransType mode, String op, BranchStatus from, BranchStatus to, String trigger, String scenario) {}

  record Reserved(GlobalStatus from, GlobalStatus to, String why) {}

  static final List<Created> CREATED = List.of(
      new Created(TransType.SAGA, GlobalStatus.SUBMITTED, "submit", "saga-succeeds"),
      new Created(TransType.TCC, GlobalStatus.PREPARED, "prepare", "tcc-confirm"),
      new Created(TransType.XA, GlobalStatus.PREPARED, "prepare", "xa-commit"),
      new Created(TransType.MSG, GlobalStatus.PREPARED, "prepare", "msg-prepare-submit"),
      new Created(TransType.MSG, GlobalStatus.SUBMITTED, "submit", "msg-submit-directly"),
      new Created(TransType.WORKFLOW, GlobalStatus.PREPARED, "prepareWorkflow", "workflow-success"));

  static final List<Use> USES = List.of(
      new Use(TransType.TCC, GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, "submit", "tcc-confirm"),
      new Use(TransType.XA, GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, "submit", "xa-commit"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, "submit", "msg-prepare-submit"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, "check-back answered SUCCESS",
          "msg-checkback-success"),
      new Use(TransType.TCC, GlobalStatus.PREPARED, GlobalStatus.ABORTING, "abort", "tcc-abort"),
      new Use(TransType.TCC, GlobalStatus.PREPARED, GlobalStatus.ABORTING, "timeout_to_fail passed while prepared",
          "tcc-timeout"),
      new Use(TransType.XA, GlobalStatus.PREPARED, GlobalStatus.ABORTING, "abort", "xa-rollback"),
      new Use(TransType.XA, GlobalStatus.PREPARED, GlobalStatus.ABORTING, "timeout_to_fail passed while prepared",
          "xa-timeout"),
      new Use(TransType.WORKFLOW, GlobalStatus.PREPARED, GlobalStatus.SUCCEED, "the client submits succeed",
          "workflow-success"),
      new Use(TransType.TCC, GlobalStatus.PREPARED, GlobalStatus.FAILED, "forceStop", "tcc-forcestop-prepared"),
      new Use(TransType.XA, GlobalStatus.PREPARED, GlobalStatus.FAILED, "forceStop", "xa-forcestop-prepared"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.FAILED, "abort", "msg-abort"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.FAILED, "check-back answered FAILURE",
          "msg-checkback-failure"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.FAILED, "forceStop", "msg-forcestop-prepared"),
      new Use(TransType.WORKFLOW, GlobalStatus.PREPARED, GlobalStatus.FAILED, "the client submits failed",
          "workflow-failure"),
      new Use(TransType.WORKFLOW, GlobalStatus.PREPARED, GlobalStatus.FAILED, "forceStop", "workflow-forcestop"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING, "an action answered FAILURE",
          "saga-action-failure"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING, "timeout_to_fail passed (only when set)",
          "saga-timeout"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING, "retry_limit used up",
          "saga-retry-limit"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.SUCCEED, "every action succeeded", "saga-succeeds"),
      new Use(TransType.TCC, GlobalStatus.SUBMITTED, GlobalStatus.SUCCEED, "every confirm succeeded", "tcc-confirm"),
      new Use(TransType.XA, GlobalStatus.SUBMITTED, GlobalStatus.SUCCEED, "every commit succeeded", "xa-commit"),
      new Use(TransType.MSG, GlobalStatus.SUBMITTED, GlobalStatus.SUCCEED, "every action delivered",
          "msg-submit-directly"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.FAILED, "forceStop", "saga-forcestop-submitted"),
      new Use(TransType.TCC, GlobalStatus.SUBMITTED, GlobalStatus.FAILED, "forceStop", "tcc-forcestop-submitted"),
      new Use(TransType.XA, GlobalStatus.SUBMITTED, GlobalStatus.FAILED, "forceStop", "xa-forcestop-submitted"),
      new Use(TransType.MSG, GlobalStatus.SUBMITTED, GlobalStatus.FAILED, "forceStop", "msg-forcestop-submitted"),
      new Use(TransType.SAGA, GlobalStatus.ABORTING, GlobalStatus.FAILED, "every needed compensation succeeded",
          "saga-action-failure"),
      new Use(TransType.SAGA, GlobalStatus.ABORTING, GlobalStatus.FAILED, "forceStop", "saga-forcestop-aborting"),
      new Use(TransType.TCC, GlobalStatus.ABORTING, GlobalStatus.FAILED, "every cancel succeeded", "tcc-abort"),
      new Use(TransType.TCC, GlobalStatus.ABORTING, GlobalStatus.FAILED, "forceStop", "tcc-forcestop-aborting"),
      new Use(TransType.XA, GlobalStatus.ABORTING, GlobalStatus.FAILED, "every rollback succeeded", "xa-rollback"),
      new Use(TransType.XA, GlobalStatus.ABORTING, GlobalStatus.FAILED, "forceStop", "xa-forcestop-aborting"));

  /**
   * Table entries no mode takes. They are excluded from the coverage check on purpose, not covered by a fake, and the
   * test fails as soon as a scenario takes one (the reservation is then stale). Every entry of today's table is taken,
   * so the list is empty; a transition added to a table before the mode that needs it is built goes here, with why.
   */
  static final List<Reserved> RESERVED = List.of();

  static final List<BranchUse> BRANCH_USES = List.of(
      new BranchUse(TransType.SAGA, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "action answered SUCCESS", "saga-succeeds"),
      new BranchUse(TransType.SAGA, BranchOp.COMPENSATE, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "compensation answered SUCCESS", "saga-action-failure"),
      new BranchUse(TransType.TCC, BranchOp.CONFIRM, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "confirm answered SUCCESS", "tcc-confirm"),
      new BranchUse(TransType.TCC, BranchOp.CANCEL, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "cancel answered SUCCESS", "tcc-abort"),
      new BranchUse(TransType.XA, BranchOp.COMMIT, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "commit answered SUCCESS", "xa-commit"),
      new BranchUse(TransType.XA, BranchOp.ROLLBACK, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "rollback answered SUCCESS", "xa-rollback"),
      new BranchUse(TransType.MSG, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "action answered SUCCESS", "msg-submit-directly"),
      new BranchUse(TransType.WORKFLOW, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "registered as succeed by the client", "workflow-success"),
      new BranchUse(TransType.WORKFLOW, BranchOp.COMPENSATE, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "registered as succeed by the client", "workflow-failure"),
      new BranchUse(TransType.SAGA, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.FAILED,
          "action answered FAILURE (a FAILURE from any other call the coordinator makes is retried, never recorded)",
          "saga-action-failure"),
      new BranchUse(TransType.WORKFLOW, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.FAILED,
          "registered as failed by the client", "workflow-failure"));

  // ---------------------------------------------------------------- running the scenarios

  static final Map<String, TransitionRecorder> OBSERVED = new LinkedHashMap<>();

  @BeforeAll
  static void runScenarios() {
    for (Scenario s : SCENARIOS) {
      Harness h = new Harness();
      s.body().accept(h);
      OBSERVED.put(s.name(), h.recorder);
    }
  }

  static TransitionRecorder observed(String scenario) {
    TransitionRecorder r = OBSERVED.get(scenario);
    assertThat(r).as("scenario %s exists", scenario).isNotNull();
    return r;
  }

  @Test
  void scenariosWriteOnlyLegalTransitions() {
    OBSERVED.forEach((name, r) -> assertThat(r.violations()).as(name).isEmpty());
  }

  @Test
  void everyDocumentedUseIsTakenByTheScenarioThatProvesIt() {
    for (Use u : USES) {
      assertThat(GlobalStatus.canTransition(u.from(), u.to())).as("%s is in the table", u).isTrue();
      assertThat(observed(u.scenario()).global())
          .as("%s", u).contains(new TransitionRecorder.Global(u.mode(), u.from(), u.to()));
    }
    for (BranchUse u : BRANCH_USES) {
      assertThat(BranchStatus.canTransition(u.from(), u.to())).as("%s is in the table", u).isTrue();
      assertThat(observed(u.scenario()).branch())
          .as("%s", u).contains(new TransitionRecorder.BranchChange(u.mode(), u.op(), u.from(), u.to()));
    }
    for (Created c : CREATED) {
      assertThat(observed(c.scenario()).created()).as("%s", c)
          .contains(new TransitionRecorder.Created(c.mode(), c.status()));
    }
  }

  @Test
  void everyTransitionTakenIsDocumented() {
    for (var e : OBSERVED.entrySet()) {
      for (var g : e.getValue().global()) {
        assertThat(USES).as("undocumented %s in scenario %s", g, e.getKey())
            .anyMatch(u -> u.mode() == g.type() && u.from() == g.from() && u.to() == g.to());
      }
      for (var b : e.getValue().branch()) {
        assertThat(BRANCH_USES).as("undocumented %s in scenario %s", b, e.getKey())
            .anyMatch(u -> u.mode() == b.type() && u.op().equals(b.op()) && u.from() == b.from() && u.to() == b.to());
      }
      for (var c : e.getValue().created()) {
        assertThat(CREATED).as("undocumented creation %s in scenario %s", c, e.getKey())
            .anyMatch(u -> u.mode() == c.type() && u.status() == c.status());
      }
    }
  }

  @Test
  void everyTableEntryIsTakenOrExplicitlyReserved() {
    List<String> missing = new ArrayList<>();
    for (GlobalStatus to : GlobalStatus.values()) {
      for (GlobalStatus from : to.validPrevious()) {
        boolean used = USES.stream().anyMatch(u -> u.from() == from && u.to() == to);
        boolean reserved = RESERVED.stream().anyMatch(r -> r.from() == from && r.to() == to);
        if (used == reserved) {
          missing.add(from.wire() + " -> " + to.wire() + (used ? " is both used and reserved" : " is never taken"));
        }
      }
    }
    for (BranchStatus to : BranchStatus.values()) {
      for (BranchStatus from : to.validPrevious()) {
        if (BRANCH_USES.stream().noneMatch(u -> u.from() == from && u.to() == to)) {
          missing.add("branch " + from.wire() + " -> " + to.wire() + " is never taken");
        }
      }
    }
    assertThat(missing).isEmpty();
  }

  @Test
  void reservedTransitionsAreNeverTaken() {
    for (Reserved r : RESERVED) {
      assertThat(GlobalStatus.canTransition(r.from(), r.to())).as("%s is in the table", r).isTrue();
      OBSERVED.forEach((name, rec) -> assertThat(rec.global())
          .as("reserved %s taken by %s: drop the reservation and document the use", r, name)
          .noneMatch(g -> g.from() == r.from() && g.to() == r.to()));
    }
  }

  @Test
  void theCheckedInDocumentIsUpToDate() throws IOException {
    Path file = repositoryRoot().resolve("docs").resolve("state-machines.md");
    String generated = render();
    if (Boolean.getBoolean(UPDATE_PROPERTY)) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, generated, StandardCharsets.UTF_8);
      return;
    }
    assertThat(file).as("%s is missing; run with -D%s=true", file, UPDATE_PROPERTY).exists();
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .as("%s is out of date; regenerate it with: ./mvnw -pl cohort-core test -Dtest=StateMachineDocsTest -D%s=true",
            file, UPDATE_PROPERTY)
        .isEqualTo(generated);
  }

  static Path repositoryRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !(Files.exists(p.resolve("mvnw")) && Files.isDirectory(p.resolve("cohort-core")))) {
      p = p.getParent();
    }
    assertThat(p).as("repository root above %s", Path.of("").toAbsolutePath()).isNotNull();
    return p;
  }

  // ---------------------------------------------------------------- rendering

  static String render() {
    StringBuilder md = new StringBuilder();
    md.append("# State machines\n\n");
    md.append("<!-- Generated by cohort-core/src/test/java/io/cohort/core/engine/StateMachineDocsTest.java; do not edit.\n");
    md.append("     Regenerate: ./mvnw -pl cohort-core test -Dtest=StateMachineDocsTest -D" + UPDATE_PROPERTY
        + "=true -->\n\n");
    md.append("""
        Every status change in Cohort goes through one transition table per life cycle, with one choke point:
        `GlobalStatus.validPrevious()` / `checkTransition` for a global transaction, `BranchStatus.validPrevious()` /
        `checkTransition` for a branch (STYLE practice 1). The diagrams below are rendered from those tables by
        `StateMachineDocsTest`. That test runs the engine through a fixed set of scenarios (listed at the end) over a
        store that records every durably written status change, and fails when this file is out of date, when a table
        entry is taken by no scenario and not explicitly reserved, when a documented use is not taken by the scenario
        named for it, or when a scenario takes a transition documented nowhere.

        Statuses use their wire names. `[*] -->` marks the statuses a command creates a transaction in, `--> [*]` the
        final statuses. Edge labels name the modes that take the transition.

        """);

    md.append("## Global transaction status\n\n```mermaid\nstateDiagram-v2\n");
    for (GlobalStatus s : GlobalStatus.values()) {
      List<Created> cs = CREATED.stream().filter(c -> c.status() == s).toList();
      if (!cs.isEmpty()) {
        String triggers = cs.stream().map(Created::trigger).distinct().collect(Collectors.joining(", "));
        md.append("    [*] --> ").append(s.wire()).append(" : ").append(triggers).append(" (")
            .append(modes(cs.stream().map(Created::mode).toList())).append(")\n");
      }
    }
    for (GlobalStatus from : GlobalStatus.values()) {
      for (GlobalStatus to : GlobalStatus.values()) {
        if (!to.validPrevious().contains(from)) {
          continue;
        }
        md.append("    ").append(from.wire()).append(" --> ").append(to.wire()).append(" : ")
            .append(globalLabel(from, to)).append('\n');
      }
    }
    for (GlobalStatus s : GlobalStatus.values()) {
      if (s.isFinal()) {
        md.append("    ").append(s.wire()).append(" --> [*]\n");
      }
    }
    md.append("```\n\n");

    md.append(tableHeader());
    for (GlobalStatus s : GlobalStatus.values()) {
      List<Created> cs = CREATED.stream().filter(c -> c.status() == s).toList();
      if (!cs.isEmpty()) {
        md.append("| created as ").append(s.wire()).append(" | ");
        for (TransType mode : TransType.values()) {
          md.append(cell(cs.stream().filter(c -> c.mode() == mode).map(Created::trigger).toList())).append(" | ");
        }
        md.append(scenarios(cs.stream().map(Created::scenario).toList())).append(" |\n");
      }
    }
    for (GlobalStatus from : GlobalStatus.values()) {
      for (GlobalStatus to : GlobalStatus.values()) {
        if (!to.validPrevious().contains(from)) {
          continue;
        }
        md.append("| ").append(from.wire()).append(" → ").append(to.wire()).append(" | ");
        var reserved = RESERVED.stream().filter(r -> r.from() == from && r.to() == to).findFirst();
        if (reserved.isPresent()) {
          md.append("— | ".repeat(TransType.values().length)).append("reserved: ").append(reserved.get().why())
              .append(" |\n");
          continue;
        }
        List<Use> us = USES.stream().filter(u -> u.from() == from && u.to() == to).toList();
        for (TransType mode : TransType.values()) {
          md.append(cell(us.stream().filter(u -> u.mode() == mode).map(Use::trigger).toList())).append(" | ");
        }
        md.append(scenarios(us.stream().map(Use::scenario).toList())).append(" |\n");
      }
    }
    md.append('\n');

    md.append("## Branch status\n\n");
    md.append("""
        A saga step is two branches (compensate, then action, both with the step's branch id); a msg step is one
        (action); both are created with their transaction. A tcc branch is two (cancel, then confirm), an xa branch
        two (rollback, then commit, at its one URL), appended by registration while the transaction is prepared. A
        workflow step is one branch per op its client records, appended by registration with the status the client
        reached; a step registered as succeed or failed is shown as a change from prepared (it never starts there in
        the store), and the coordinator never calls a workflow step.

        Of the calls the coordinator makes, only a saga action is ever recorded as failed: a FAILURE from a
        compensation, a msg action, a confirm, a cancel, a commit or a rollback is retried like any error, because
        those operations must succeed eventually. The only other failed branch is a workflow step its client
        registered as failed.

        """);
    md.append("```mermaid\nstateDiagram-v2\n");
    for (BranchStatus s : BranchStatus.values()) {
      if (s.validPrevious().isEmpty()) {
        md.append("    [*] --> ").append(s.wire()).append(" : created with its transaction, or registered\n");
      }
    }
    for (BranchStatus from : BranchStatus.values()) {
      for (BranchStatus to : BranchStatus.values()) {
        if (to.validPrevious().contains(from)) {
          List<BranchUse> us = BRANCH_USES.stream().filter(u -> u.from() == from && u.to() == to).toList();
          String label = us.stream().map(u -> u.mode().wire() + " " + u.op()).distinct()
              .collect(Collectors.joining(", "));
          md.append("    ").append(from.wire()).append(" --> ").append(to.wire()).append(" : ").append(label)
              .append('\n');
        }
      }
    }
    for (BranchStatus s : BranchStatus.values()) {
      if (s.isFinal()) {
        md.append("    ").append(s.wire()).append(" --> [*]\n");
      }
    }
    md.append("```\n\n");
    md.append(tableHeader());
    for (BranchStatus from : BranchStatus.values()) {
      for (BranchStatus to : BranchStatus.values()) {
        if (!to.validPrevious().contains(from)) {
          continue;
        }
        List<BranchUse> us = BRANCH_USES.stream().filter(u -> u.from() == from && u.to() == to).toList();
        md.append("| ").append(from.wire()).append(" → ").append(to.wire()).append(" | ");
        for (TransType mode : TransType.values()) {
          md.append(cell(us.stream().filter(u -> u.mode() == mode).map(u -> u.op() + ": " + u.trigger()).toList()))
              .append(" | ");
        }
        md.append(scenarios(us.stream().map(BranchUse::scenario).toList())).append(" |\n");
      }
    }
    md.append('\n');

    md.append("## Scenarios\n\nRun by the test through the engine, the in-memory test store, a scripted participant and"
        + " a manual clock; each also asserts its own end state.\n\n");
    for (Scenario s : SCENARIOS) {
      md.append("- `").append(s.name()).append("`: ").append(s.description()).append('\n');
    }
    return md.toString();
  }

  static String globalLabel(GlobalStatus from, GlobalStatus to) {
    var reserved = RESERVED.stream().filter(r -> r.from() == from && r.to() == to).findFirst();
    if (reserved.isPresent()) {
      return "reserved";
    }
    return modes(USES.stream().filter(u -> u.from() == from && u.to() == to).map(Use::mode).toList());
  }

  /** The header of a transition table: one column per mode, in {@link TransType} order. */
  static String tableHeader() {
    StringBuilder h = new StringBuilder("| Transition | ");
    for (TransType mode : TransType.values()) {
      h.append(mode.wire()).append(" | ");
    }
    h.append("Proved by scenario |\n|---|").append("---|".repeat(TransType.values().length)).append("---|\n");
    return h.toString();
  }

  static String modes(List<TransType> modes) {
    Set<TransType> set = new TreeSet<>(modes);
    return set.stream().map(TransType::wire).collect(Collectors.joining(", "));
  }

  static String cell(List<String> triggers) {
    return triggers.isEmpty() ? "—" : String.join("; ", triggers);
  }

  static String scenarios(List<String> names) {
    return names.stream().distinct().map(n -> "`" + n + "`").collect(Collectors.joining(", "));
  }
}
