package io.cohort.store.jdbc;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of a {@link JdbcTransactionStore}, validated when built, immutable after.
 *
 * <p>TLS, socket timeouts and other driver settings go into the URL as the driver documents them (PostgreSQL:
 * {@code sslmode=verify-full&sslrootcert=...}; MariaDB: {@code sslMode=verify-full&serverSslCert=...}). On PostgreSQL
 * the store works in the URL's {@code currentSchema} (the schema must exist), on MySQL/MariaDB in the URL's database.
 *
 * @param url the JDBC URL: {@code jdbc:postgresql://host:5432/db}, {@code jdbc:mariadb://host:3306/db} (MariaDB 10.6+
 *     or MySQL 8.0+), or {@code jdbc:mysql://...} with a driver that accepts it. Error messages show it with any
 *     password removed.
 * @param user the database user; {@code null} leaves it to the URL or the driver
 * @param password the password; {@code null} leaves it to the URL or the driver. Never shown by {@link #toString()}.
 * @param poolSize the number of pooled connections (default 16), at least 2: migrations on start hold two at once.
 *     A quarter of them (1 to 4) serve the writer threads that group-commit inserts and updates; the others serve
 *     reads, claims and key-value calls, one per call in flight, and further callers wait up to
 *     {@code connectionTimeout} for a free connection.
 * @param connectionTimeout how long opening the store waits for the database, and a store call for a free connection
 *     (default 10 s, at least 250 ms). An unreachable database fails {@link JdbcTransactionStore#open} after about
 *     this long.
 * @param migrateOnStart apply missing schema migrations when the store opens (default {@code true}). When off, a
 *     database whose schema is missing or older refuses to open; apply the migrations with
 *     {@link JdbcTransactionStore#migrate} (the {@code migrate} command) first.
 */
public record JdbcStoreOptions(
    String url, String user, String password, int poolSize, Duration connectionTimeout, boolean migrateOnStart) {

  public static final int DEFAULT_POOL_SIZE = 16;
  public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(10);
  /** HikariCP refuses anything shorter. */
  public static final Duration MIN_CONNECTION_TIMEOUT = Duration.ofMillis(250);
  public static final int MAX_POOL_SIZE = 1000;

  private static final Pattern URL_PASSWORD = Pattern.compile("(?i)((?:password|pwd)=)[^&;]*");
  private static final Pattern URL_USER_INFO = Pattern.compile("(//[^/:@]*):[^/@]*@");

  public JdbcStoreOptions {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("the JDBC store needs a url, e.g. jdbc:postgresql://localhost:5432/cohort");
    }
    if (Dialect.ofUrl(url) == null) {
      throw new IllegalArgumentException("the JDBC store url must start with jdbc:postgresql:, jdbc:mariadb: or"
          + " jdbc:mysql:, got '" + redact(url) + "'");
    }
    if (poolSize < 2 || poolSize > MAX_POOL_SIZE) {
      throw new IllegalArgumentException("the JDBC store poolSize must be between 2 and " + MAX_POOL_SIZE + ", got "
          + poolSize);
    }
    Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    if (connectionTimeout.compareTo(MIN_CONNECTION_TIMEOUT) < 0) {
      throw new IllegalArgumentException("the JDBC store connectionTimeout must be at least 250ms, got "
          + connectionTimeout.toMillis() + "ms");
    }
    if (connectionTimeout.toSeconds() > 3600) {
      throw new IllegalArgumentException("the JDBC store connectionTimeout must be at most 1h, got "
          + connectionTimeout);
    }
  }

  /** The defaults for {@code url}: no user or password beyond the URL's, 16 connections, 10 s, migrate on start. */
  public static JdbcStoreOptions of(String url) {
    return new JdbcStoreOptions(url, null, null, DEFAULT_POOL_SIZE, DEFAULT_CONNECTION_TIMEOUT, true);
  }

  public JdbcStoreOptions withUser(String newUser) {
    return new JdbcStoreOptions(url, newUser, password, poolSize, connectionTimeout, migrateOnStart);
  }

  public JdbcStoreOptions withPassword(String newPassword) {
    return new JdbcStoreOptions(url, user, newPassword, poolSize, connectionTimeout, migrateOnStart);
  }

  public JdbcStoreOptions withPoolSize(int size) {
    return new JdbcStoreOptions(url, user, password, size, connectionTimeout, migrateOnStart);
  }

  public JdbcStoreOptions withConnectionTimeout(Duration timeout) {
    return new JdbcStoreOptions(url, user, password, poolSize, timeout, migrateOnStart);
  }

  public JdbcStoreOptions withMigrateOnStart(boolean migrate) {
    return new JdbcStoreOptions(url, user, password, poolSize, connectionTimeout, migrate);
  }

  /** The URL with any password in it replaced by {@code ***}: the form every message and log line shows. */
  public String redactedUrl() {
    return redact(url);
  }

  Dialect dialect() {
    return Dialect.ofUrl(url);
  }

  /** Never shows the password (nor one inside the URL). */
  @Override
  public String toString() {
    return String.format(Locale.ROOT,
        "JdbcStoreOptions[url=%s, user=%s, password=%s, poolSize=%d, connectionTimeout=%dms, migrateOnStart=%s]",
        redactedUrl(), user, password == null ? null : "***", poolSize, connectionTimeout.toMillis(),
        migrateOnStart);
  }

  static String redact(String url) {
    String s = URL_PASSWORD.matcher(url).replaceAll("$1***");
    return URL_USER_INFO.matcher(s).replaceAll("$1:***@");
  }
}
