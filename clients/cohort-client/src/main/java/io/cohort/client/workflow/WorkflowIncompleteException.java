package io.cohort.client.workflow;

import io.cohort.client.CohortClientException;

/**
 * A run of a workflow stopped before the workflow reached a final status: a step or the function threw something
 * other than {@link io.cohort.client.barrier.BranchFailedException}, a compensation threw, or the coordinator could
 * not be reached to record a step or the end. The {@linkplain #getCause() cause} says which.
 *
 * <p>Why an exception of its own: it tells the caller the one thing that matters, that the workflow exists at the
 * coordinator, is still {@code prepared}, and will be resumed (by the coordinator's resume call, or by executing the
 * same gid again), carrying on from its last recorded step. Retryable unless the cause is a non-retryable SDK
 * exception (a result that cannot be serialized fails the same way every time).
 */
public class WorkflowIncompleteException extends CohortClientException {
  private static final long serialVersionUID = 1L;
  private final String gid;

  public WorkflowIncompleteException(String gid, String message, Throwable cause) {
    super("workflow " + gid + " is not finished: " + message, retryable(cause), cause);
    this.gid = gid;
  }

  private static boolean retryable(Throwable cause) {
    return !(cause instanceof CohortClientException) || ((CohortClientException) cause).retryable();
  }

  /** The workflow's gid. */
  public String gid() {
    return gid;
  }
}
