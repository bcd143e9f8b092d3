package io.cohort.examples.transfer;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.XADataSource;
import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.xa.PGXADataSource;

/** Connection pools and XA data sources for the two banks' databases. */
public final class Databases {
  /** PostgreSQL on this machine: user postgres, database test. */
  public static final String DEFAULT_POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  /** MariaDB on this machine: user root without a password, database test. The driver wants TLS off said aloud. */
  public static final String DEFAULT_MARIADB_URL = "jdbc:mariadb://127.0.0.1:3306/test?user=root&sslMode=disable";

  private Databases() {}

  /** A pool of at most {@code size} connections to {@code jdbcUrl} (user and password in the URL). */
  public static HikariDataSource pool(String name, String jdbcUrl, int size) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setJdbcUrl(jdbcUrl);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(Math.min(size, 4));
    // A bank step is a few statements; a request that cannot get a connection this fast should fail (and be
    // retried by the coordinator) rather than pile up behind a stalled database.
    config.setConnectionTimeout(5_000);
    return new HikariDataSource(config);
  }

  /**
   * An XA data source for the database at {@code jdbcUrl}: PostgreSQL's or MariaDB's, by the URL's prefix. Each XA
   * branch opens its own connection (a prepared branch outlives the connection that prepared it).
   *
   * <p>Every session it opens gives up waiting for a lock after {@code lockWait} (PostgreSQL {@code lock_timeout},
   * MariaDB {@code innodb_lock_wait_timeout}, whole seconds). An XA branch keeps its locks until phase 2, so a local
   * phase can queue behind a prepared branch for as long as that branch's phase 2 takes; without a bound, such
   * waiters pile up, each on a connection of its own, until the database refuses connections, and then phase 2,
   * which needs one too, cannot come. Pick the time the caller of the local phase waits (the SDK's
   * {@code branchCallTimeout}): after that nobody wants the answer.
   */
  public static XADataSource xa(String jdbcUrl, Duration lockWait) throws SQLException {
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      PGXADataSource ds = new PGXADataSource();
      ds.setUrl(jdbcUrl);
      ds.setOptions("-c lock_timeout=" + Math.max(1, lockWait.toMillis()));
      return ds;
    }
    if (jdbcUrl.startsWith("jdbc:mariadb:")) {
      long seconds = Math.max(1, (lockWait.toMillis() + 999) / 1000);
      String sep = jdbcUrl.contains("?") ? "&" : "?";
      return new MariaDbDataSource(jdbcUrl + sep + "sessionVariables=innodb_lock_wait_timeout=" + seconds);
    }
    throw new IllegalArgumentException("no XA data source for '" + jdbcUrl + "': expected jdbc:postgresql: or "
        + "jdbc:mariadb:");
  }
}
