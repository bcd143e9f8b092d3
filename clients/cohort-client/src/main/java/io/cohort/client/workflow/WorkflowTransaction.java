package io.cohort.client.workflow;

import io.cohort.client.PayloadSerializationException;
import io.cohort.client.TransactionBuilder;
import io.cohort.client.internal.ClientRuntime;
import io.cohort.client.internal.HttpCoordinator;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * One workflow run to start, with the options every transaction has ({@link #retryInterval}, {@link #requestTimeout},
 * {@link #branchHeader}, ...), made by {@link Workflows#workflow(String, String)}.
 *
 * <p>Why the options matter here: the coordinator resumes an unfinished workflow by calling the resume URL once it
 * has been quiet (no step recorded) for {@code retryInterval}, waits {@code requestTimeout} for that call, and sends
 * the branch headers with it (an authorization header for the resume endpoint, say). Make the interval longer than
 * the slowest step: a resume that reaches another instance of the service while a run is still going starts a second
 * run there (see the {@linkplain io.cohort.client.workflow package description}). Options take effect when the workflow is created; a later execute of the same gid, and the
 * resume calls, use the workflow as it was created. {@link #waitResult} and {@link #timeoutToFail} have no effect on
 * a workflow.
 *
 * <p>A builder may execute several times (each time replays the same gid) and is not thread-safe.
 */
public final class WorkflowTransaction extends TransactionBuilder<WorkflowTransaction> {
  /** DTM and Cohort store {@code custom_data} in 1024 characters. */
  static final int MAX_CUSTOM_DATA = 1024;

  private final Workflows workflows;
  private final String name;
  private final WorkflowFunction function;

  WorkflowTransaction(Workflows workflows, ClientRuntime runtime, String name, WorkflowFunction function, String gid) {
    super(runtime, gid, "workflow");
    this.workflows = workflows;
    this.name = name;
    this.function = function;
  }

  /** The registered name of the workflow to run. */
  public String name() {
    return name;
  }

  /**
   * Runs the workflow with {@code input} (raw bytes; {@code null} for none): creates it at the coordinator, or, when
   * the gid exists, replays its record; if it is already final, returns its recorded outcome without running
   * anything. Waits first if this gid is running in this process.
   *
   * @return the final outcome, {@code succeed} or {@code failed}
   * @throws IllegalArgumentException when the input is too large for the coordinator's {@code custom_data} (about 700
   *     bytes; pass a reference such as an id instead), or the gid already holds another workflow or another input;
   *     nothing is stored
   * @throws WorkflowIncompleteException when this run stopped before a final status; the workflow stays prepared and
   *     is resumed
   * @throws io.cohort.client.CoordinatorException when the coordinator refused or did not answer
   *     {@code prepareWorkflow}
   */
  public WorkflowResult execute(byte[] input) {
    return run(input == null ? new byte[0] : input.clone(), true);
  }

  /**
   * As {@link #execute(byte[])}, with {@code input} written as JSON by the client's codec ({@code null} for none, a
   * {@code byte[]} kept as is). Read it in the function with {@link Workflow#input(Class)}.
   *
   * @throws PayloadSerializationException when the input cannot be written; nothing is stored
   */
  public WorkflowResult execute(Object input) {
    if (input == null || input instanceof byte[]) {
      return execute((byte[]) input);
    }
    return run(encode("the input of workflow '" + name + "'", input).getBytes(StandardCharsets.UTF_8), true);
  }

  /** Runs with {@code input}; when {@code wait} is false and the gid runs in this process, throws "ongoing". */
  WorkflowResult run(byte[] input, boolean wait) {
    Map<String, Object> body = prepareBody(input);
    Workflows.Lease lease = workflows.acquire(gid(), wait);
    try {
      return WorkflowRun.execute(runtime().coordinator(), runtime().codec(), body, name, gid(), input, function);
    } finally {
      workflows.release(gid(), lease);
    }
  }

  private Map<String, Object> prepareBody(byte[] input) {
    String customData = HttpCoordinator.JSON.createObjectNode()
        .put("name", name)
        .put("data", Base64.getEncoder().encodeToString(input))
        .toString();
    if (customData.length() > MAX_CUSTOM_DATA) {
      throw new IllegalArgumentException("the input of workflow '" + name + "' is too large: " + input.length
          + " bytes make custom_data " + customData.length() + " characters, and the coordinator keeps at most "
          + MAX_CUSTOM_DATA + "; pass a reference (an id) as input and load the data in a step");
    }
    Map<String, Object> body = body();
    body.remove("wait_result");
    body.put("custom_data", customData);
    body.put("query_prepared", workflows.resumeUrl());
    return body;
  }
}
