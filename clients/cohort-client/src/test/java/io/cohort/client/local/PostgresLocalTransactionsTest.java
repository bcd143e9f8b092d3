package io.cohort.client.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** The runner on the real PostgreSQL at 127.0.0.1:5432 (db test). */
class PostgresLocalTransactionsTest extends LocalTransactionsContractTest {
  @Override
  String url() {
    return System.getProperty("cohort.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
  }

  @Override
  String sleepSql(int seconds) {
    return "select pg_sleep(" + seconds + ")";
  }

  @Test
  void deferredConstraintViolatedAtCommitRollsBackWithoutLeak() throws SQLException {
    String deferred = table + "_deferred";
    execute("create table " + deferred + " (id int, constraint " + deferred
        + "_uq unique (id) deferrable initially deferred)");
    try {
      assertThatThrownBy(() -> runner().build().run(c -> {
        execute(c, "insert into " + deferred + "(id) values (1)");
        execute(c, "insert into " + deferred + "(id) values (1)");
        return null;
      })).isExactlyInstanceOf(LocalTransactionException.class)
          .satisfies(e -> assertThat(((SQLException) e.getCause()).getSQLState()).isEqualTo("23505"));
      try (var c = pool.getConnection(); var st = c.createStatement();
          var rs = st.executeQuery("select count(*) from " + deferred)) {
        rs.next();
        assertThat(rs.getInt(1)).isZero();
      }
    } finally {
      execute("drop table " + deferred);
    }
  }

  private static void execute(java.sql.Connection c, String sql) throws SQLException {
    try (var st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
