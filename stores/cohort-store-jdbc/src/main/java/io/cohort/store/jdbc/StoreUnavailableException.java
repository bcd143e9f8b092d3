package io.cohort.store.jdbc;

/**
 * The database could not be reached: refused or timed-out connections, a pool with no free connection within the
 * connection timeout, a connection lost mid-call. Opening a store fails with it after about the connection timeout.
 */
public class StoreUnavailableException extends JdbcStoreException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
