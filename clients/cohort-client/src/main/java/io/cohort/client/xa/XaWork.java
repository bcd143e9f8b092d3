package io.cohort.client.xa;

import java.sql.Connection;

/**
 * The business part of an XA branch's local phase, run by {@link XaParticipant#localPhase} inside the XA branch.
 *
 * <p>It exists so that the participant, not the business code, owns the branch: the work gets a connection that is
 * already enlisted in the branch, and everything it writes is prepared, committed or rolled back with the branch's
 * barrier row. It must not commit, roll back, change auto-commit or close {@code conn} (PostgreSQL's driver refuses
 * the first three inside a branch anyway), and it runs at most once per call.
 */
@FunctionalInterface
public interface XaWork<T> {
  /**
   * Does the work on {@code conn}. Throwing anything rolls the whole branch back; a runtime exception reaches the
   * caller of {@code localPhase} as is, a checked one wrapped in {@link XaOperationException}.
   */
  T run(Connection conn) throws Exception;
}
