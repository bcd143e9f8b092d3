package io.cohort.client.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.CohortClient;
import io.cohort.client.PayloadSerializationException;
import io.cohort.testkit.BranchView;
import io.cohort.testkit.CohortTestServer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad input is refused with a message naming the problem, and leaves nothing at the coordinator. */
class WorkflowValidationTest {
  private CohortTestServer cohort;
  private CohortClient client;
  private ResumeEndpoint endpoint;
  private Workflows workflows;

  /** Jackson cannot write this: its one property throws. */
  public static final class Unwritable {
    public String getValue() {
      throw new IllegalStateException("no value");
    }
  }

  @BeforeEach
  void setUp() {
    cohort = CohortTestServer.start();
    client = CohortClient.create(cohort.baseUrl());
    endpoint = new ResumeEndpoint();
    workflows = Workflows.create(client, endpoint.url());
    endpoint.mount(workflows.resumeHandler());
    workflows.register("known", wf -> wf.step(bb -> "ok"));
  }

  @AfterEach
  void tearDown() {
    endpoint.close();
    client.close();
    cohort.close();
  }

  @Test
  void anUnknownWorkflowNameIsRefusedBeforeAnythingIsSent() {
    assertThatThrownBy(() -> workflows.execute("unknown", "wf-unknown", (byte[]) null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no workflow named 'unknown' is registered; registered: known");
    assertThat(client.query("wf-unknown")).isEmpty();
  }

  @Test
  void namesAreCheckedWhenRegistered() {
    assertThatThrownBy(() -> workflows.register("known", wf -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("a workflow named 'known' is already registered");
    assertThatThrownBy(() -> workflows.register(" ", wf -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not be blank");
    assertThatThrownBy(() -> workflows.register("a/b", wf -> null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not contain '/'");
    assertThatThrownBy(() -> workflows.register(null, wf -> null)).isInstanceOf(NullPointerException.class)
        .hasMessage("name");
    assertThatThrownBy(() -> workflows.register("other", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("function");
  }

  @Test
  void badGidsAreRefusedWithTheSameRulesAsEveryTransaction() {
    String tooLong = "g".repeat(129);
    for (String gid : new String[] {"", "  ", "a;b", "a\nb", tooLong}) {
      assertThatThrownBy(() -> workflows.execute("known", gid, (byte[]) null)).as("gid '%s'", gid)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gid");
      assertThat(cohort.status(gid)).isNull();
    }
    assertThatThrownBy(() -> workflows.execute("known", null, (byte[]) null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("gid must not be empty");
  }

  @Test
  void aResumeUrlMustBeAnAbsoluteHttpUrl() {
    for (String url : new String[] {"", "/resume", "ftp://svc/resume", "not a url", "http:///resume"}) {
      assertThatThrownBy(() -> Workflows.create(client, url)).as(url)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resumeUrl must be an absolute http(s) URL");
    }
    assertThatThrownBy(() -> Workflows.create(client, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> Workflows.create(null, endpoint.url())).isInstanceOf(NullPointerException.class);
  }

  @Test
  void anInputTooLargeForTheCoordinatorIsRefusedBeforeAnythingIsSent() {
    byte[] big = new byte[800];
    assertThatThrownBy(() -> workflows.execute("known", "wf-big", big))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too large")
        .hasMessageContaining("pass a reference");
    assertThat(client.query("wf-big")).isEmpty();
    assertThatThrownBy(() -> workflows.execute("known", "wf-unwritable", new Unwritable()))
        .isInstanceOf(PayloadSerializationException.class).hasMessageContaining("the input of workflow 'known'");
    assertThat(client.query("wf-unwritable")).isEmpty();
  }

  @Test
  void aGidHoldingAnotherWorkflowOrInputIsRefusedAndKeepsItsRecord() {
    workflows.register("other", wf -> "other");
    byte[] input = "{\"a\":1,\"b\":2}".getBytes(StandardCharsets.UTF_8);
    assertThat(workflows.execute("known", "wf-taken", input).succeeded()).isTrue();

    assertThatThrownBy(() -> workflows.execute("other", "wf-taken", input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("gid wf-taken already holds workflow 'known', not 'other'; a gid names one run of one workflow");
    assertThatThrownBy(() -> workflows.execute("known", "wf-taken", "x".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("with another input");
    // The same JSON value with its keys in another order is the same input.
    assertThat(workflows.execute("known", "wf-taken", "{\"b\":2, \"a\":1}".getBytes(StandardCharsets.UTF_8))
        .succeeded()).isTrue();
    assertThat(cohort.branches("wf-taken")).containsExactly(new BranchView("01", "action", "succeed", ""));
  }

  @Test
  void aStepResultThatCannotBeWrittenRecordsNothing() {
    workflows.register("unwritable", wf -> wf.step(Unwritable.class, bb -> new Unwritable()));
    assertThatThrownBy(() -> workflows.execute("unwritable", "wf-unwritable-step", (byte[]) null))
        .isInstanceOf(WorkflowIncompleteException.class)
        .satisfies(e -> assertThat(((WorkflowIncompleteException) e).retryable()).isFalse())
        .cause().isInstanceOf(PayloadSerializationException.class).hasMessageContaining("the result of step 01");
    assertThat(cohort.status("wf-unwritable-step")).isEqualTo("prepared");
    assertThat(cohort.branches("wf-unwritable-step")).isEmpty();
  }

  @Test
  void stepsAreTakenOneAtATimeAndOnlyWhileTheFunctionRuns() {
    AtomicReference<Workflow> leaked = new AtomicReference<>();
    workflows.register("nested", wf -> wf.step(bb -> wf.step(inner -> "inner")));
    workflows.register("leaky", wf -> {
      leaked.set(wf);
      return null;
    });

    assertThatThrownBy(() -> workflows.execute("nested", "wf-nested", (byte[]) null))
        .isInstanceOf(WorkflowIncompleteException.class)
        .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("inside another step");
    assertThat(cohort.branches("wf-nested")).isEmpty();
    assertThat(workflows.execute("leaky", "wf-leaky", (byte[]) null).succeeded()).isTrue();
    assertThatThrownBy(() -> leaked.get().step(bb -> "late"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("after its function returned");
  }

  @Test
  void aResumeCallThatNamesNoKnownWorkflowIsAnswered400AndCreatesNothing() {
    assertThat(endpoint.call("gid=wf-r1&trans_type=workflow&branch_id=00&op=unknown", new byte[0])).isEqualTo(400);
    assertThat(endpoint.call("gid=wf-r2&trans_type=workflow&branch_id=00&op=known", new byte[0])).isEqualTo(400);
    assertThat(endpoint.call("gid=wf-r3&trans_type=saga&branch_id=00&op=known", new byte[0])).isEqualTo(400);
    assertThat(endpoint.call("trans_type=workflow&branch_id=00&op=known", new byte[0])).isEqualTo(400);
    for (String gid : new String[] {"wf-r1", "wf-r2", "wf-r3"}) {
      assertThat(cohort.status(gid)).isNull();
    }
  }
}
