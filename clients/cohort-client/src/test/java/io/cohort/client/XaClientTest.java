package io.cohort.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.JdbcBarrier;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.testing.LoopbackParticipant;
import io.cohort.client.xa.XaParticipant;
import io.cohort.protocol.GlobalStatus;
import io.cohort.testkit.CohortTestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mariadb.jdbc.MariaDbDataSource;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.xa.PGXADataSource;

/**
 * XA end to end: the application drives the global transaction with {@code client.xa()}, one resource manager runs
 * its branch on PostgreSQL and the other on MariaDB with {@link XaParticipant}, and the coordinator commits or rolls
 * back both.
 */
class XaClientTest {
  private static final PGXADataSource PG_XA = new PGXADataSource();
  private static final PGSimpleDataSource PG = new PGSimpleDataSource();
  private static MariaDbDataSource maria;

  private CohortTestServer cohort;
  private LoopbackParticipant rms;
  private CohortClient client;
  private XaParticipant pgRm;
  private XaParticipant mariaRm;

  @BeforeAll
  static void schema() throws SQLException {
    String pgUrl = System.getProperty("cohort.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    PG.setUrl(pgUrl);
    PG_XA.setUrl(pgUrl);
    maria = new MariaDbDataSource(System.getProperty("cohort.test.mariadb.url",
        "jdbc:mariadb://127.0.0.1:3306/test?user=root&sslMode=disable"));
    for (DataSource ds : new DataSource[] {PG, maria}) {
      JdbcBarrier.defaults().ensureSchema(ds);
      try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
        s.execute(ds == PG ? "CREATE SCHEMA IF NOT EXISTS sdk_xa_test" : "CREATE DATABASE IF NOT EXISTS sdk_xa_test");
        s.execute("CREATE TABLE IF NOT EXISTS sdk_xa_test.account (id varchar(32) PRIMARY KEY, balance bigint NOT NULL)");
      }
    }
  }

  @BeforeEach
  void setUp() throws SQLException {
    setBalance(PG, "alice", 100);
    setBalance(maria, "bob", 0);
    cohort = CohortTestServer.builder().timeoutToFail(Duration.ofSeconds(20)).start();
    client = CohortClient.create(cohort.baseUrl());
    pgRm = XaParticipant.create(PG_XA);
    mariaRm = XaParticipant.create(maria);
    rms = LoopbackParticipant.start();
    rms.on("/pg", pgRm.handler(client, (r, conn) -> move(r, conn, "alice", -1)));
    rms.on("/maria", mariaRm.handler(client, (r, conn) -> move(r, conn, "bob", 1)));
  }

  @AfterEach
  void tearDown() {
    client.close();
    rms.close();
    cohort.close();
    assertThat(pgRm.recover()).as("prepared branches left in PostgreSQL").isEmpty();
    assertThat(mariaRm.recover()).as("prepared branches left in MariaDB").isEmpty();
  }

  /** The resource managers' business: move the payload's amount inside the XA branch. */
  private static void move(BranchRequest r, Connection conn, String account, int sign) throws SQLException {
    long amount = Long.parseLong(r.bodyAsString().replaceAll("[^0-9-]", ""));
    try (PreparedStatement ps = conn.prepareStatement(
        "UPDATE sdk_xa_test.account SET balance = balance + ? WHERE id = ? AND balance + ? >= 0")) {
      ps.setLong(1, sign * amount);
      ps.setString(2, account);
      ps.setLong(3, sign * amount);
      if (ps.executeUpdate() == 0) {
        throw new BranchFailedException("insufficient funds in " + account);
      }
    }
  }

  @Test
  void bothBranchesPrepareThenTheCoordinatorCommitsThem() throws SQLException {
    String gid = client.newGid();
    client.xa(gid).execute(xa -> {
      xa.callBranch(Map.of("amount", 30), rms.url("/pg"));
      return xa.callBranch(Map.of("amount", 30), rms.url("/maria"));
    });

    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(balance(PG, "alice")).isEqualTo(70);
    assertThat(balance(maria, "bob")).isEqualTo(30);
    assertThat(rms.calls()).extracting(c -> c.path() + " " + c.op())
        .containsExactly("/pg action", "/maria action", "/pg commit", "/maria commit");
  }

  @Test
  void aRefusingBranchAbortsAndThePreparedOneIsRolledBack() throws SQLException {
    String gid = client.newGid();
    assertThatThrownBy(() -> client.xa(gid).execute(xa -> {
      xa.callBranch(Map.of("amount", 30), rms.url("/pg"));
      return xa.callBranch(Map.of("amount", -500), rms.url("/maria")); // bob would go negative
    })).isInstanceOf(TransactionFailedException.class).cause().isInstanceOf(BranchCallException.class)
        .hasMessageContaining("insufficient funds in bob");

    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(balance(PG, "alice")).isEqualTo(100);
    assertThat(balance(maria, "bob")).isEqualTo(0);
    assertThat(rms.callsTo("/pg")).extracting(LoopbackParticipant.Call::op).containsExactly("action", "rollback");
  }

  @Test
  void anApplicationThatDiesAfterPreparingIsRolledBackAtTheTimeout() throws SQLException {
    String gid = client.newGid();
    // Prepare and one branch, then the application "dies": no submit, no abort.
    client.coordinator().prepare(Map.of("gid", gid, "trans_type", "xa", "timeout_to_fail", 20));
    pgRm.localPhase(gid, "01", conn -> {
      try (Statement s = conn.createStatement()) {
        return s.executeUpdate("UPDATE sdk_xa_test.account SET balance = balance - 30 WHERE id = 'alice'");
      }
    }, () -> client.coordinator().registerBranch(Map.of("gid", gid, "trans_type", "xa", "branch_id", "01", "url",
        rms.url("/pg"))));
    assertThat(pgRm.recover()).hasSize(1);

    cohort.advance(Duration.ofSeconds(21));
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(balance(PG, "alice")).isEqualTo(100);
  }

  private static void setBalance(DataSource ds, String id, long balance) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM sdk_xa_test.account WHERE id = '" + id + "'");
      s.executeUpdate("INSERT INTO sdk_xa_test.account (id, balance) VALUES ('" + id + "', " + balance + ")");
    }
  }

  private static long balance(DataSource ds, String id) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT balance FROM sdk_xa_test.account WHERE id = ?")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
