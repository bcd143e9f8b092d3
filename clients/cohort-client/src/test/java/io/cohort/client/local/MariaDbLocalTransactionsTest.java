package io.cohort.client.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The runner on the real MariaDB at 127.0.0.1:3306 (db test); exercises the MariaDB timeout dialect. */
class MariaDbLocalTransactionsTest extends LocalTransactionsContractTest {
  @Override
  String url() {
    return System.getProperty("cohort.test.mariadb.url", "jdbc:mariadb://127.0.0.1:3306/test?user=root&sslMode=disable");
  }

  @Override
  String sleepSql(int seconds) {
    return "select sleep(" + seconds + ")";
  }

  @Test
  void sessionStatementTimeoutIsSetDuringTheWorkAndRestoredAfter() {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url());
    config.setMaximumPoolSize(1); // one connection, so the second run surely sees the first run's session
    try (HikariDataSource single = new HikariDataSource(config)) {
      LocalTransactions tx = LocalTransactions.builder(single).build();
      double during = tx.run(Instant.now().plusSeconds(30), c -> maxStatementTime(c.createStatement()));
      double after = tx.run(c -> maxStatementTime(c.createStatement()));
      assertThat(during).isBetween(25.0, 30.0);
      assertThat(after).isZero();
      assertThat(single.getHikariPoolMXBean().getActiveConnections()).isZero();
    }
  }

  private static double maxStatementTime(Statement st) throws Exception {
    try (st; ResultSet rs = st.executeQuery("select @@session.max_statement_time")) {
      rs.next();
      return rs.getDouble(1);
    }
  }
}
