package io.cohort.store.jdbc;

/**
 * The database's schema does not fit this build: missing or older while migrations on start are off (run the
 * {@code migrate} command), newer than this build knows (upgrade Cohort), or a migration failed.
 */
public class SchemaVersionException extends JdbcStoreException {
  private static final long serialVersionUID = 1L;

  public SchemaVersionException(String message) {
    super(message, null);
  }

  public SchemaVersionException(String message, Throwable cause) {
    super(message, cause);
  }
}
