package io.cohort.client.xa;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.XADataSource;
import org.mariadb.jdbc.MariaDbDataSource;

/** The XA participant contract on the real MariaDB at 127.0.0.1:3306 (db test), the MySQL dialect. */
class XaMariaDbParticipantTest extends XaParticipantContractTest {
  @Override
  String url() {
    return System.getProperty("cohort.test.mariadb.url", "jdbc:mariadb://127.0.0.1:3306/test?user=root&sslMode=disable");
  }

  @Override
  XADataSource xaDataSource(String applicationName) {
    try {
      return new MariaDbDataSource(url());
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  boolean barrierInsertWaits(String gid) throws SQLException {
    // The driver sends statements with their values inlined, so the rollback's insert is found by its gid. It cannot
    // finish while the in-flight branch holds the row, so seeing it running means it is (or is about to be) waiting.
    // (information_schema.innodb_trx does not reliably list a transaction waiting behind an XA branch's row.)
    try (Connection c = plain(); PreparedStatement ps = c.prepareStatement("select count(*) from "
        + "information_schema.processlist where id <> connection_id() and command = 'Query' and info like ?")) {
      ps.setString(1, "insert ignore into %'" + gid + "'%'rollback'%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) > 0;
      }
    }
  }
}
