package io.cohort.client.participant;

/**
 * The three answers a participant can give the coordinator (DTM wire protocol reference, section 2.2). A
 * {@link BranchHandler} may return one of these instead of throwing; {@link BranchResponse#forResult} maps it.
 */
public enum BranchResult {
  /** HTTP 200: the op is done (or was already done, or the barrier skipped it). */
  SUCCESS,
  /**
   * HTTP 409: the business refused for good. For a saga {@code action} this aborts the saga; for the "must succeed"
   * ops (compensate, confirm, cancel, commit, rollback, msg action) the coordinator retries it forever.
   */
  FAILURE,
  /** HTTP 425: not decided yet; the coordinator calls again at a fixed interval. */
  ONGOING
}
