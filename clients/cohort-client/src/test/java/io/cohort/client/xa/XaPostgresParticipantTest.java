package io.cohort.client.xa;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.XADataSource;
import org.postgresql.xa.PGXADataSource;

/**
 * The XA participant contract on the real PostgreSQL at 127.0.0.1:5432 (db test), which needs
 * {@code max_prepared_transactions > 0} ({@code .ci/run} sets it).
 */
class XaPostgresParticipantTest extends XaParticipantContractTest {
  @Override
  String url() {
    return System.getProperty("cohort.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
  }

  @Override
  XADataSource xaDataSource(String applicationName) {
    PGXADataSource ds = new PGXADataSource();
    ds.setUrl(url());
    ds.setApplicationName(applicationName);
    return ds;
  }

  @Override
  boolean barrierInsertWaits(String gid) throws SQLException {
    // Statements reach PostgreSQL with $n placeholders, so the session is found by its application name.
    try (Connection c = plain(); PreparedStatement ps = c.prepareStatement("select count(*) from pg_stat_activity"
        + " where application_name = ? and wait_event_type = 'Lock' and query like 'insert into %barrier%'")) {
      ps.setString(1, applicationName);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) > 0;
      }
    }
  }
}
