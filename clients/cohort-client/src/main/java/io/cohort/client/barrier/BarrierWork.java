package io.cohort.client.barrier;

import java.sql.Connection;

/** The participant's local business, run on the same connection and in the same transaction as its barrier rows. */
@FunctionalInterface
public interface BarrierWork<T> {
  /**
   * Does the business. Throwing makes the whole local transaction roll back (the caller's job with
   * {@link JdbcBarrier#call}; done for you by {@link JdbcBarrier#callInTransaction}).
   */
  T run(Connection conn) throws Exception;
}
