package io.cohort.examples.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.client.xa.XaParticipant;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The transfer as XA: each bank's step runs in an XA branch that the bank prepares when the SDK calls it, and the
 * coordinator commits both, or rolls both back when a branch failed. Besides the books, nothing of this run may stay
 * prepared in either database.
 */
class XaTransferTest extends TransferLoadTest {
  @BeforeAll
  static void preparedTransactionsAreEnabled() throws SQLException {
    try (Connection conn = java.sql.DriverManager.getConnection(Databases.DEFAULT_POSTGRES_URL);
        Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("show max_prepared_transactions")) {
      rs.next();
      assertThat(rs.getInt(1)).as("PostgreSQL max_prepared_transactions (.ci/run sets it)").isPositive();
    }
  }

  @Override
  TransferMode mode() {
    return TransferMode.XA;
  }

  @Override
  String debitStep() {
    return "xa-withdraw";
  }

  @Override
  String creditStep() {
    return "xa-deposit";
  }

  @Override
  void verifyMore(Map<String, Planned> planned, Map<String, String> statuses) throws SQLException {
    assertThat(preparedInPostgres(planned)).as("XA branches of this run still prepared in PostgreSQL").isEmpty();
    assertThat(preparedInMariaDb(planned)).as("XA branches of this run still prepared in MariaDB").isEmpty();
  }

  /** PostgreSQL's JDBC driver names a prepared XA branch {@code formatId_base64(gtrid)_base64(bqual)}. */
  private List<String> preparedInPostgres(Map<String, Planned> planned) throws SQLException {
    List<String> left = new ArrayList<>();
    try (Connection conn = pgPool.getConnection(); Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("select gid from pg_prepared_xacts where database = current_database()")) {
      while (rs.next()) {
        String[] parts = rs.getString(1).split("_");
        if (parts.length == 3 && parts[0].equals(Integer.toString(XaParticipant.FORMAT_ID))) {
          String gid = new String(Base64.getDecoder().decode(parts[1]), StandardCharsets.UTF_8);
          if (planned.containsKey(gid)) {
            left.add(gid);
          }
        }
      }
    }
    return left;
  }

  private List<String> preparedInMariaDb(Map<String, Planned> planned) throws SQLException {
    List<String> left = new ArrayList<>();
    try (Connection conn = mariaPool.getConnection(); Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("xa recover")) {
      while (rs.next()) {
        if (rs.getInt("formatID") == XaParticipant.FORMAT_ID) {
          String gid = rs.getString("data").substring(0, rs.getInt("gtrid_length"));
          if (planned.containsKey(gid)) {
            left.add(gid);
          }
        }
      }
    }
    return left;
  }
}
