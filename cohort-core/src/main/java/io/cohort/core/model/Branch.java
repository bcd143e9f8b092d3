package io.cohort.core.model;

import io.cohort.protocol.BranchStatus;
import java.time.Instant;
import java.util.Arrays;

/**
 * One branch operation: the coordinator calls {@code url} with {@code op} for {@code branchId}. A saga step is two
 * branches (compensate then action, as DTM stores them), a msg step one.
 *
 * @param branchId the id sent to the participant ({@code 01}, {@code 02}, ...)
 * @param op the op sent to the participant ({@code action}, {@code compensate}, ...)
 * @param url the participant URL; empty means "nothing to call, counts as success"
 * @param payload the request body (empty: the call is a GET)
 * @param status where this branch is in its life cycle
 * @param attempts how many times a call was dispatched (recorded durably before the call where the mode needs it)
 * @param lastError the last error a call produced, for operators; {@code null} when none
 */
public record Branch(
    String branchId,
    String op,
    String url,
    byte[] payload,
    BranchStatus status,
    int attempts,
    Instant createTime,
    Instant updateTime,
    Instant finishTime,
    String lastError) {

  public Branch {
    url = url == null ? "" : url;
    payload = payload == null ? new byte[0] : payload;
  }

  public static Branch create(String branchId, String op, String url, byte[] payload, Instant now) {
    return new Branch(branchId, op, url, payload, BranchStatus.PREPARED, 0, now, now, null, null);
  }

  /** The one place a branch changes status; the transition must be in the table. */
  public Branch transition(BranchStatus to, Instant now, String error) {
    BranchStatus.checkTransition(status, to);
    return new Branch(branchId, op, url, payload, to, attempts, createTime, now, to.isFinal() ? now : finishTime,
        error);
  }

  public Branch dispatched(Instant now) {
    return new Branch(branchId, op, url, payload, status, attempts + 1, createTime, now, finishTime, lastError);
  }

  public Branch withError(String error, Instant now) {
    return new Branch(branchId, op, url, payload, status, attempts, createTime, now, finishTime, error);
  }

  public boolean hasUrl() {
    return !url.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Branch b
        && branchId.equals(b.branchId)
        && op.equals(b.op)
        && url.equals(b.url)
        && Arrays.equals(payload, b.payload)
        && status == b.status
        && attempts == b.attempts
        && java.util.Objects.equals(createTime, b.createTime)
        && java.util.Objects.equals(updateTime, b.updateTime)
        && java.util.Objects.equals(finishTime, b.finishTime)
        && java.util.Objects.equals(lastError, b.lastError);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(branchId, op, url, Arrays.hashCode(payload), status, attempts);
  }

  @Override
  public String toString() {
    return "Branch[" + branchId + "/" + op + " " + status.wire() + " attempts=" + attempts + "]";
  }
}
