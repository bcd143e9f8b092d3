package io.cohort.protocol;

import java.util.EnumSet;
import java.util.Set;

/** The life cycle of one branch operation (one row per op: a saga step has an action and a compensate branch). */
public enum BranchStatus {
  /**
   * Not done yet. Every branch starts here (a workflow step its client records as already done is stored directly as
   * succeed or failed). Leaves for {@code succeed} or {@code failed}.
   */
  PREPARED("prepared", 1),
  /** Final: the participant answered SUCCESS (or the URL was empty), or a workflow client recorded the step as done. */
  SUCCEED("succeed", 2),
  /** Final: a saga action answered FAILURE (or a workflow branch was registered as failed). */
  FAILED("failed", 3);

  private final String wire;
  private final int code;

  BranchStatus(String wire, int code) {
    this.wire = wire;
    this.code = code;
  }

  public String wire() {
    return wire;
  }

  /** The stable numeric code stored on disk. */
  public int code() {
    return code;
  }

  public boolean isFinal() {
    return this != PREPARED;
  }

  public Set<BranchStatus> validPrevious() {
    return this == PREPARED ? EnumSet.noneOf(BranchStatus.class) : EnumSet.of(PREPARED);
  }

  public static boolean canTransition(BranchStatus from, BranchStatus to) {
    return to.validPrevious().contains(from);
  }

  /** The one choke point for branch status changes. */
  public static void checkTransition(BranchStatus from, BranchStatus to) {
    if (!canTransition(from, to)) {
      throw new IllegalStateException("illegal branch transition " + from.wire + " -> " + to.wire);
    }
  }

  public static BranchStatus fromCode(int code) {
    for (BranchStatus s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown branch status code " + code);
  }

  public static BranchStatus fromWire(String wire) {
    for (BranchStatus s : values()) {
      if (s.wire.equals(wire)) {
        return s;
      }
    }
    return null;
  }
}
