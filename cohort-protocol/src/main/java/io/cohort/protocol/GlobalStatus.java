package io.cohort.protocol;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life cycle of a global transaction. Five statuses, as in DTM; why a transaction failed is kept in its
 * {@code rollback_reason}, never in extra statuses.
 *
 * <p>Each constant lists its valid predecessors. Every change of status in the engine goes through
 * {@link #checkTransition(GlobalStatus, GlobalStatus)}.
 */
public enum GlobalStatus {
  /**
   * Created by {@code prepare} (msg, tcc, xa) or {@code prepareWorkflow}. Nothing leads into it. Leaves for
   * {@code submitted} (submit, or a msg check-back answering SUCCESS), {@code aborting} (tcc/xa abort or timeout),
   * {@code succeed} (a workflow's client submits success) or {@code failed} (msg abort or check-back FAILURE, a
   * workflow's client submits failure, forceStop).
   */
  PREPARED("prepared", 1),
  /**
   * The outcome is decided forward: saga and msg transactions created by {@code submit}, or a prepared msg, tcc or xa
   * promoted by submit. Leaves for {@code succeed} (every action, confirm or commit done), {@code aborting} (a saga
   * action failed, timed out or ran out of retries; never a tcc or xa) or {@code failed} (forceStop).
   */
  SUBMITTED("submitted", 2),
  /**
   * Compensations, cancels or rollbacks are running: a saga that failed forward, or a tcc or xa the client aborted or
   * that timed out while prepared. Leaves for {@code failed} once they all succeeded (or forceStop).
   */
  ABORTING("aborting", 3),
  /** Final: every action (or confirm, commit) succeeded, or a workflow's client reported success. */
  SUCCEED("succeed", 4),
  /** Final: rolled back, aborted before submit, or stopped by an operator. */
  FAILED("failed", 5);

  private final String wire;
  private final int code;

  GlobalStatus(String wire, int code) {
    this.wire = wire;
    this.code = code;
  }

  /** The wire name, as DTM clients expect in {@code query}. */
  public String wire() {
    return wire;
  }

  /** The stable numeric code stored on disk (never the ordinal). */
  public int code() {
    return code;
  }

  public boolean isFinal() {
    return this == SUCCEED || this == FAILED;
  }

  /** The statuses this one may be entered from. */
  public Set<GlobalStatus> validPrevious() {
    switch (this) {
      case PREPARED:
        return EnumSet.noneOf(GlobalStatus.class);
      case SUBMITTED:
        return EnumSet.of(PREPARED);
      case ABORTING:
        return EnumSet.of(PREPARED, SUBMITTED);
      case SUCCEED:
        return EnumSet.of(PREPARED, SUBMITTED);
      case FAILED:
        return EnumSet.of(PREPARED, SUBMITTED, ABORTING);
      default:
        throw new AssertionError(this);
    }
  }

  /** True when {@code from -> to} is in the transition table. */
  public static boolean canTransition(GlobalStatus from, GlobalStatus to) {
    return to.validPrevious().contains(from);
  }

  /** The one choke point for global status changes: throws on a transition outside the table. */
  public static void checkTransition(GlobalStatus from, GlobalStatus to) {
    if (!canTransition(from, to)) {
      throw new IllegalStateException("illegal global transition " + from.wire + " -> " + to.wire);
    }
  }

  public static GlobalStatus fromWire(String wire) {
    for (GlobalStatus s : values()) {
      if (s.wire.equals(wire)) {
        return s;
      }
    }
    return null;
  }

  public static GlobalStatus fromCode(int code) {
    for (GlobalStatus s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown global status code " + code);
  }
}
