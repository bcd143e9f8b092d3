package io.cohort.client.barrier;

/**
 * What one barrier-protected call decided. Exactly one place decides it per back end (the JDBC barrier's insert
 * sequence, the Redis barrier's Lua script).
 */
public enum BarrierOutcome {
  /** The barrier rows were new: the business ran (and commits or rolls back with them). */
  EXECUTED,
  /** The same op already passed this barrier: the business did not run again (idempotency). */
  DUPLICATE,
  /**
   * A cancel / compensate / workflow rollback arrived before its try / action: the business did not run, and a row
   * was written in the try's place so that the late try is blocked.
   */
  NULL_COMPENSATION,
  /**
   * A try / action arrived after its cancel / compensate had already passed (anti-hanging), or a msg's local
   * transaction arrived after the check-back had already answered "rolled back". The business did not run.
   */
  BLOCKED;

  /** Whether the business ran in this call. */
  public boolean businessRan() {
    return this == EXECUTED;
  }
}
