package io.cohort.store.jdbc;

/**
 * A store call or the opening of a {@link JdbcTransactionStore} failed because of the database. The message names the
 * database (its URL without password) and what was being done; the cause is the driver's {@link java.sql.SQLException}
 * when there is one.
 *
 * <p>A write that fails this way may or may not have been committed (the connection can break after the commit was
 * sent): callers treat the outcome as unknown and read again before acting, as the engine does for every store.
 *
 * <p>Two subclasses mark what an operator must fix: {@link StoreUnavailableException} (cannot reach the database) and
 * {@link SchemaVersionException} (the schema is missing, older, or newer than this build).
 */
public class JdbcStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public JdbcStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
