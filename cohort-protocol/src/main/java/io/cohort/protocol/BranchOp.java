package io.cohort.protocol;

/**
 * The {@code op} values sent to participants. Subtransaction barriers store these exact strings, so they are part of
 * the wire contract.
 */
public final class BranchOp {
  public static final String ACTION = "action";
  public static final String COMPENSATE = "compensate";
  public static final String CONFIRM = "confirm";
  public static final String CANCEL = "cancel";
  public static final String TRY = "try";
  public static final String COMMIT = "commit";
  public static final String ROLLBACK = "rollback";
  /** The msg check-back ({@code query_prepared}), always with branch id {@code 00}. */
  public static final String MSG = "msg";

  /** Branch id used for the msg check-back and the workflow resume call. */
  public static final String CHECK_BACK_BRANCH_ID = "00";

  private BranchOp() {}
}
