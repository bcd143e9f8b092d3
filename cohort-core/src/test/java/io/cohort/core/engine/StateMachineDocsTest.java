package io.cohort.core.engine;

import static io.cohort.core.testing.Fixtures.msgCmd;
import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.sagaCmd;
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
        assertThat(h.engine.abort("g", TransType.MSG, "no").status()).isEqualTo(GlobalStatus.FAILED);
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
      }));

  // ---------------------------------------------------------------- what each mode uses, and which scenario proves it

  record Created(TransType mode, GlobalStatus status, String trigger, String scenario) {}

  record Use(TransType mode, GlobalStatus from, GlobalStatus to, String trigger, String scenario) {}

  record BranchUse(TransType mode, String op, BranchStatus from, BranchStatus to, String trigger, String scenario) {}

  record Reserved(GlobalStatus from, GlobalStatus to, String why) {}

  static final List<Created> CREATED = List.of(
      new Created(TransType.SAGA, GlobalStatus.SUBMITTED, "submit", "saga-succeeds"),
      new Created(TransType.MSG, GlobalStatus.PREPARED, "prepare", "msg-prepare-submit"),
      new Created(TransType.MSG, GlobalStatus.SUBMITTED, "submit", "msg-submit-directly"));

  static final List<Use> USES = List.of(
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, "submit", "msg-prepare-submit"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, "check-back answered SUCCESS",
          "msg-checkback-success"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.FAILED, "abort", "msg-abort"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.FAILED, "check-back answered FAILURE",
          "msg-checkback-failure"),
      new Use(TransType.MSG, GlobalStatus.PREPARED, GlobalStatus.FAILED, "forceStop", "msg-forcestop-prepared"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING, "an action answered FAILURE",
          "saga-action-failure"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING, "timeout_to_fail passed (only when set)",
          "saga-timeout"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING, "retry_limit used up",
          "saga-retry-limit"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.SUCCEED, "every action succeeded", "saga-succeeds"),
      new Use(TransType.MSG, GlobalStatus.SUBMITTED, GlobalStatus.SUCCEED, "every action delivered",
          "msg-submit-directly"),
      new Use(TransType.SAGA, GlobalStatus.SUBMITTED, GlobalStatus.FAILED, "forceStop", "saga-forcestop-submitted"),
      new Use(TransType.MSG, GlobalStatus.SUBMITTED, GlobalStatus.FAILED, "forceStop", "msg-forcestop-submitted"),
      new Use(TransType.SAGA, GlobalStatus.ABORTING, GlobalStatus.FAILED, "every needed compensation succeeded",
          "saga-action-failure"),
      new Use(TransType.SAGA, GlobalStatus.ABORTING, GlobalStatus.FAILED, "forceStop", "saga-forcestop-aborting"));

  /**
   * Table entries no built mode takes. They are excluded from the coverage check on purpose, not covered by a fake:
   * only TCC and XA (part 2) abort a prepared transaction (client abort, or timeout_to_fail of a prepared one).
   */
  static final List<Reserved> RESERVED = List.of(
      new Reserved(GlobalStatus.PREPARED, GlobalStatus.ABORTING,
          "reserved for tcc/xa (part 2): abort, or timeout_to_fail, of a prepared transaction"));

  static final List<BranchUse> BRANCH_USES = List.of(
      new BranchUse(TransType.SAGA, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "action answered SUCCESS", "saga-succeeds"),
      new BranchUse(TransType.SAGA, BranchOp.COMPENSATE, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "compensation answered SUCCESS", "saga-action-failure"),
      new BranchUse(TransType.MSG, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.SUCCEED,
          "action answered SUCCESS", "msg-submit-directly"),
      new BranchUse(TransType.SAGA, BranchOp.ACTION, BranchStatus.PREPARED, BranchStatus.FAILED,
          "action answered FAILURE (a compensation's or a msg action's FAILURE is retried, never recorded)",
          "saga-action-failure"));

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

    md.append("| Transition | saga | msg | Proved by scenario |\n|---|---|---|---|\n");
    for (GlobalStatus s : GlobalStatus.values()) {
      List<Created> cs = CREATED.stream().filter(c -> c.status() == s).toList();
      if (!cs.isEmpty()) {
        md.append("| created as ").append(s.wire()).append(" | ")
            .append(cell(cs.stream().filter(c -> c.mode() == TransType.SAGA).map(Created::trigger).toList()))
            .append(" | ")
            .append(cell(cs.stream().filter(c -> c.mode() == TransType.MSG).map(Created::trigger).toList()))
            .append(" | ").append(scenarios(cs.stream().map(Created::scenario).toList())).append(" |\n");
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
          md.append("— | — | ").append(reserved.get().why()).append(" |\n");
          continue;
        }
        List<Use> us = USES.stream().filter(u -> u.from() == from && u.to() == to).toList();
        md.append(cell(us.stream().filter(u -> u.mode() == TransType.SAGA).map(Use::trigger).toList())).append(" | ")
            .append(cell(us.stream().filter(u -> u.mode() == TransType.MSG).map(Use::trigger).toList())).append(" | ")
            .append(scenarios(us.stream().map(Use::scenario).toList())).append(" |\n");
      }
    }
    md.append('\n');

    md.append("## Branch status\n\n");
    md.append("""
        A saga step is two branches (compensate, then action, both with the step's branch id); a msg step is one
        (action). Only a saga action is ever recorded as failed: a FAILURE from a compensation or a msg action is
        retried like any error, because those operations must succeed eventually.

        """);
    md.append("```mermaid\nstateDiagram-v2\n");
    for (BranchStatus s : BranchStatus.values()) {
      if (s.validPrevious().isEmpty()) {
        md.append("    [*] --> ").append(s.wire()).append(" : created with its transaction\n");
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
    md.append("| Transition | saga | msg | Proved by scenario |\n|---|---|---|---|\n");
    for (BranchStatus from : BranchStatus.values()) {
      for (BranchStatus to : BranchStatus.values()) {
        if (!to.validPrevious().contains(from)) {
          continue;
        }
        List<BranchUse> us = BRANCH_USES.stream().filter(u -> u.from() == from && u.to() == to).toList();
        md.append("| ").append(from.wire()).append(" → ").append(to.wire()).append(" | ")
            .append(cell(us.stream().filter(u -> u.mode() == TransType.SAGA).map(u -> u.op() + ": " + u.trigger())
                .toList()))
            .append(" | ")
            .append(cell(us.stream().filter(u -> u.mode() == TransType.MSG).map(u -> u.op() + ": " + u.trigger())
                .toList()))
            .append(" | ").append(scenarios(us.stream().map(BranchUse::scenario).toList())).append(" |\n");
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
      return "reserved for tcc/xa (part 2)";
    }
    return modes(USES.stream().filter(u -> u.from() == from && u.to() == to).map(Use::mode).toList());
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
