package io.cohort.client.workflow;

import io.cohort.client.PayloadCodec;
import io.cohort.client.TransactionFailedException;
import io.cohort.protocol.GlobalStatus;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The final outcome of a workflow, as recorded at the coordinator: {@code succeed} with the function's result, or
 * {@code failed} with the reason (the message of the {@link io.cohort.client.barrier.BranchFailedException} that
 * failed it).
 *
 * <p>Why a value and not an exception for {@code failed}: a failed workflow is an ordinary, final answer (the
 * business said no and every step was undone), and executing a finished gid again returns the same value, whichever
 * way it ended. {@link #orThrow()} turns a failure into a {@link TransactionFailedException} for callers that prefer
 * one. A run that did not reach a final status throws {@link WorkflowIncompleteException} instead.
 *
 * <p>Immutable.
 */
public final class WorkflowResult {
  private final String gid;
  private final GlobalStatus status;
  private final byte[] result;
  private final String rollbackReason;
  private final PayloadCodec codec;

  WorkflowResult(String gid, GlobalStatus status, byte[] result, String rollbackReason, PayloadCodec codec) {
    if (!status.isFinal()) {
      throw new IllegalArgumentException("a workflow result is final, not " + status.wire());
    }
    this.gid = Objects.requireNonNull(gid, "gid");
    this.status = status;
    this.result = result == null ? new byte[0] : result.clone();
    this.rollbackReason = rollbackReason == null ? "" : rollbackReason;
    this.codec = Objects.requireNonNull(codec, "codec");
  }

  public String gid() {
    return gid;
  }

  /** {@link GlobalStatus#SUCCEED} or {@link GlobalStatus#FAILED}. */
  public GlobalStatus status() {
    return status;
  }

  public boolean succeeded() {
    return status == GlobalStatus.SUCCEED;
  }

  /** The function's result (a copy); empty when it returned none, or the workflow failed. */
  public byte[] result() {
    return result.clone();
  }

  /**
   * The result read as JSON into {@code type} with the client's codec; {@code null} when there is none.
   *
   * @throws io.cohort.client.PayloadSerializationException when the result does not fit the type
   */
  public <T> T result(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return result.length == 0 ? null : codec.decode(new String(result, StandardCharsets.UTF_8), type);
  }

  /** Why the workflow failed; empty when it succeeded. */
  public String rollbackReason() {
    return rollbackReason;
  }

  /**
   * This result when the workflow succeeded.
   *
   * @throws TransactionFailedException with the rollback reason when it failed
   */
  public WorkflowResult orThrow() {
    if (!succeeded()) {
      throw new TransactionFailedException(gid, rollbackReason, null);
    }
    return this;
  }

  @Override
  public String toString() {
    return "WorkflowResult[gid=" + gid + ", status=" + status.wire()
        + (succeeded() ? ", result=" + result.length + " bytes" : ", rollbackReason=" + rollbackReason) + "]";
  }
}
