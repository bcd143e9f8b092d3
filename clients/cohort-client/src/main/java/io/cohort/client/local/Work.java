package io.cohort.client.local;

import java.sql.Connection;

/**
 * One unit of local work, run by {@link LocalTransactions} inside a transaction it owns.
 *
 * <p>The work may run more than once (each time in a fresh transaction) when the database reports a serialization
 * failure or a deadlock, so it must not have side effects outside the database that cannot be repeated. It must not
 * commit, roll back, change auto-commit or close {@code conn}: the runner does all of that.
 */
@FunctionalInterface
public interface Work<T> {
  /** Does the work on {@code conn}; throwing anything rolls the whole transaction back. */
  T apply(Connection conn) throws Exception;
}
