package io.cohort.client.workflow;

/**
 * The code of a workflow, registered under a name with {@link Workflows#register}. It takes its steps through the
 * {@link Workflow} handle and returns the workflow's result.
 *
 * <p>Why a function and not a list of steps: a workflow decides its next step from the results of the earlier ones,
 * in ordinary Java. The price is determinism: the function runs again from the top on every resume, so it must take
 * the same steps in the same order each time (see the {@linkplain io.cohort.client.workflow package description}).
 */
@FunctionalInterface
public interface WorkflowFunction {
  /**
   * Runs the workflow.
   *
   * @return the workflow's result: a {@code byte[]} is kept as is, {@code null} means no result, anything else is
   *     written as JSON with the client's {@link io.cohort.client.PayloadCodec}
   * @throws io.cohort.client.barrier.BranchFailedException to fail the workflow (its steps are compensated)
   * @throws Exception anything else stops this run without a final status; the coordinator resumes it later
   */
  Object run(Workflow workflow) throws Exception;
}
