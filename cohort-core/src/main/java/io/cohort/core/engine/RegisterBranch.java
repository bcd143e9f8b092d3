package io.cohort.core.engine;

import io.cohort.protocol.BranchOp;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.BranchUrls;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.Gids;
import io.cohort.protocol.TransType;
import java.util.Set;

/**
 * A {@code registerBranch} as the engine sees it, after the HTTP adapter decoded the body.
 *
 * @param op workflow: the op being recorded; tcc: empty or {@code try}; xa: empty or {@code action} (older clients send
 *     the phase-1 op along, which says nothing new)
 * @param status workflow: the recorded branch status ({@code succeed}, {@code failed} or {@code prepared})
 * @param data tcc: the body later sent to confirm and cancel; workflow: the step's result
 * @param confirm tcc: the confirm URL
 * @param cancel tcc: the cancel URL
 * @param url xa: the phase-2 URL that receives commit and rollback
 */
public record RegisterBranch(
    String gid,
    TransType type,
    String branchId,
    String op,
    String status,
    byte[] data,
    String confirm,
    String cancel,
    String url) {

  /** The longest branch id accepted (DTM's barrier table stores it in varchar(128)). */
  public static final int MAX_BRANCH_ID = 128;

  private static final Set<String> WORKFLOW_OPS = Set.of(BranchOp.ACTION, BranchOp.COMPENSATE, BranchOp.COMMIT,
      BranchOp.ROLLBACK, BranchOp.TRY, BranchOp.CONFIRM, BranchOp.CANCEL);

  public RegisterBranch {
    op = op == null ? "" : op;
    status = status == null ? "" : status;
    data = data == null ? new byte[0] : data;
    confirm = confirm == null ? "" : confirm;
    cancel = cancel == null ? "" : cancel;
    url = url == null ? "" : url;
  }

  /** Checks everything that can be checked without the store; every message names the field. */
  public void validate() {
    Gids.check(gid);
    if (type == null) {
      throw CohortException.badRequest("trans_type is required (tcc, xa or workflow)");
    }
    if (branchId == null || branchId.isEmpty()) {
      throw CohortException.badRequest("branch_id is required");
    }
    if (branchId.length() > MAX_BRANCH_ID) {
      throw CohortException.badRequest("branch_id is longer than " + MAX_BRANCH_ID + " characters");
    }
    for (int i = 0; i < branchId.length(); i++) {
      if (Character.isISOControl(branchId.charAt(i))) {
        throw CohortException.badRequest("branch_id contains a control character at position " + i);
      }
    }
    switch (type) {
      case TCC -> {
        checkPhaseOneOp(BranchOp.TRY);
        if (confirm.isEmpty() || cancel.isEmpty()) {
          throw CohortException.badRequest("a tcc branch needs both a confirm and a cancel URL (missing: "
              + (confirm.isEmpty() ? "confirm" : "cancel") + ")");
        }
        BranchUrls.check(confirm, "confirm");
        BranchUrls.check(cancel, "cancel");
      }
      case XA -> {
        checkPhaseOneOp(BranchOp.ACTION);
        if (url.isEmpty()) {
          throw CohortException.badRequest("an xa branch needs url, the phase-2 URL that receives commit and rollback");
        }
        BranchUrls.check(url, "url");
      }
      case WORKFLOW -> {
        if (op.isEmpty()) {
          throw CohortException.badRequest("op is required for a workflow branch");
        }
        if (!WORKFLOW_OPS.contains(op)) {
          throw CohortException.badRequest("unknown op '" + abbreviate(op) + "'; a workflow branch records one of "
              + String.join(", ", WORKFLOW_OPS.stream().sorted().toList()));
        }
        if (BranchStatus.fromWire(status) == null) {
          throw CohortException.badRequest("status '" + abbreviate(status)
              + "' is not a branch status; expected succeed, failed or prepared");
        }
      }
      case SAGA, MSG -> throw CohortException.badRequest("a " + type.wire()
          + " has no registered branches; its steps are given in steps when it is submitted");
    }
  }

  private void checkPhaseOneOp(String phaseOne) {
    if (!op.isEmpty() && !op.equals(phaseOne)) {
      throw CohortException.badRequest("unknown op '" + abbreviate(op) + "' for a " + type.wire()
          + " branch; registration is for phase one (" + phaseOne + "), or leave op out");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
