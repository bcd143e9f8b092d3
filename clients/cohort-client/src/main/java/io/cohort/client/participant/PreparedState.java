package io.cohort.client.participant;

/**
 * What a msg check-back ({@code query_prepared}, reference 2.5) found about the msg's local transaction. A
 * {@link BranchHandler} may return one of these; {@link BranchResponse#forPrepared} maps it.
 */
public enum PreparedState {
  /** The local transaction committed: HTTP 200, the coordinator submits the msg. */
  COMMITTED,
  /** The local transaction did not commit and never will: HTTP 409, the coordinator fails the msg. */
  ROLLED_BACK,
  /** Not known yet (the local transaction may still be running): HTTP 425, the coordinator asks again later. */
  UNKNOWN;

  /**
   * The state from a barrier's answer: {@code true} (as returned by {@code JdbcBarrier.queryPrepared} and
   * {@code RedisBarrier.queryPrepared}) means committed, {@code false} rolled back.
   */
  public static PreparedState of(boolean committed) {
    return committed ? COMMITTED : ROLLED_BACK;
  }
}
