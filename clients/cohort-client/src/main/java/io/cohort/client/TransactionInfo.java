package io.cohort.client;

import io.cohort.protocol.GlobalStatus;
import java.util.List;
import java.util.Objects;

/**
 * A transaction as the coordinator's {@code query} shows it: its status, the reason it rolled back (empty if none)
 * and its branches.
 */
public record TransactionInfo(String gid, String transType, GlobalStatus status, String rollbackReason,
    List<Branch> branches) {
  public TransactionInfo {
    Objects.requireNonNull(gid, "gid");
    Objects.requireNonNull(status, "status");
    transType = transType == null ? "" : transType;
    rollbackReason = rollbackReason == null ? "" : rollbackReason;
    branches = List.copyOf(branches);
  }

  /** Whether the status is final ({@code succeed} or {@code failed}). */
  public boolean isFinal() {
    return status.isFinal();
  }

  /** One branch row: its id, operation, status word ({@code prepared}, {@code succeed}, {@code failed}) and URL. */
  public record Branch(String branchId, String op, String status, String url) {
  }
}
