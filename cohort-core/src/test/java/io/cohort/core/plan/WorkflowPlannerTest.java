package io.cohort.core.plan;

import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.workflow;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.GlobalStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The workflow planner: resume calls at a fixed interval whatever they answer; nothing after the final status. */
class WorkflowPlannerTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final PlanSettings S = PlanSettings.DEFAULTS;
  final WorkflowPlanner planner = new WorkflowPlanner();

  @Test
  void unfinishedWorkflowIsResumedThroughItsCallback() {
    Transaction t = workflow(TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0, "http://svc.test/resume");
    Plan p = planner.plan(t, T0, S);
    assertThat(p).isEqualTo(new Plan.Call(List.of(Plan.CHECK_BACK), t, false));
  }

  @Test
  void resumesRepeatAtTheFixedIntervalWhateverTheyAnswer() {
    Transaction t = workflow(opts().retryInterval(Duration.ofSeconds(4)).build(), GlobalStatus.PREPARED, T0,
        "http://svc.test/resume");
    Instant now = T0;
    for (BranchOutcome o : List.of(new BranchOutcome.Unreachable("HTTP 502"), new BranchOutcome.Failed("FAILURE"),
        new BranchOutcome.Ongoing("ONGOING"), BranchOutcome.SUCCEEDED, new BranchOutcome.Unreachable("HTTP 500"))) {
      Applied a = planner.apply(t, List.of(Plan.CHECK_BACK), List.of(o), now, S);
      assertThat(a.retryAt()).as("after %s", o).isEqualTo(now.plusSeconds(4));
      assertThat(a.next().status()).as("a resume answer decides nothing").isEqualTo(GlobalStatus.PREPARED);
      t = a.next();
      now = a.retryAt();
    }
    assertThat(t.failures()).as("failed resumes since the last good one").isEqualTo(1);
  }

  @Test
  void withoutCallbackItOnlySleeps() {
    Transaction t = workflow(TransOptions.DEFAULTS, GlobalStatus.PREPARED, T0, "");
    assertThat(planner.plan(t, T0, S)).isEqualTo(new Plan.Sleep(T0.plusSeconds(10)));
  }

  @Test
  void finishedWorkflowPlansNothing() {
    for (GlobalStatus s : List.of(GlobalStatus.SUCCEED, GlobalStatus.FAILED)) {
      assertThat(planner.plan(workflow(TransOptions.DEFAULTS, s, T0, "http://svc.test/resume"), T0, S))
          .isInstanceOf(Plan.Done.class);
    }
  }
}
