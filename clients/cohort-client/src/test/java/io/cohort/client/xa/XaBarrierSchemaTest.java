package io.cohort.client.xa;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.client.barrier.BarrierOutcome;
import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.JdbcBarrier;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.xa.PGXADataSource;

/**
 * Regression: {@code ensureSchema} at a service's start-up used to run {@code create index if not exists} even when
 * the index existed. On PostgreSQL that statement waits for a table lock behind any prepared XA branch holding barrier
 * rows, and every barrier insert (the branch's own rollback included) then queued behind it: the whole table stood
 * still until someone cancelled the statement.
 */
class XaBarrierSchemaTest {
  private static final String URL =
      System.getProperty("cohort.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  @Test
  void ensureSchemaDoesNotWaitForAPreparedBranchAndInsertsKeepFlowing() throws Exception {
    PGSimpleDataSource plain = new PGSimpleDataSource();
    plain.setUrl(URL);
    PGXADataSource xaSource = new PGXADataSource();
    xaSource.setUrl(URL);
    JdbcBarrier.defaults().ensureSchema(plain);
    XaParticipant rm = XaParticipant.create(xaSource);
    String gid = "schema-vs-prepared-" + System.nanoTime();
    rm.localPhase(gid, "01", conn -> null, () -> { });
    try {
      try (Connection c = plain.getConnection()) {
        try (Statement s = c.createStatement()) {
          s.execute("set statement_timeout = '5s'"); // a wait would fail the test instead of hanging it
        }
        JdbcBarrier.defaults().ensureSchema(c);
        c.setAutoCommit(false);
        var other = JdbcBarrier.defaults().call(c, BranchBarrier.of("saga", gid + "-other", "01", "action"),
            conn -> null);
        c.commit();
        assertThat(other.outcome()).isEqualTo(BarrierOutcome.EXECUTED);
      }
    } finally {
      rm.rollback(gid, "01");
    }
    assertThat(rm.recover()).noneMatch(b -> b.gid().equals(gid));
  }
}
