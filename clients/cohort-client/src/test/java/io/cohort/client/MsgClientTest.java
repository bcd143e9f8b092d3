package io.cohort.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.barrier.BarrierOutcome;
import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.JdbcBarrier;
import io.cohort.client.msg.Msg;
import io.cohort.client.participant.BranchHandler;
import io.cohort.client.testing.LoopbackParticipant;
import io.cohort.protocol.GlobalStatus;
import io.cohort.testkit.CohortTestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** 2-phase messages against a real coordinator, a loopback participant and the local database in PostgreSQL. */
class MsgClientTest {
  private static final PGSimpleDataSource PG = new PGSimpleDataSource();

  private CohortTestServer cohort;
  private LoopbackParticipant service;
  private CohortClient client;

  @BeforeAll
  static void schema() throws SQLException {
    PG.setUrl(System.getProperty("cohort.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres"));
    JdbcBarrier.defaults().ensureSchema(PG);
    try (Connection c = PG.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA IF NOT EXISTS sdk_msg_test");
      s.execute("CREATE TABLE IF NOT EXISTS sdk_msg_test.ledger (gid varchar(128) PRIMARY KEY, amount int NOT NULL)");
    }
  }

  @BeforeEach
  void setUp() {
    cohort = CohortTestServer.builder().timeoutToFail(Duration.ofSeconds(20)).start();
    service = LoopbackParticipant.start();
    service.on("/check", BranchHandler.checkBack(gid -> JdbcBarrier.defaults().queryPrepared(PG, gid)));
    client = CohortClient.create(cohort.baseUrl());
  }

  @AfterEach
  void tearDown() {
    client.close();
    service.close();
    cohort.close();
  }

  private static Object record(Connection conn, String gid, int amount) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO sdk_msg_test.ledger (gid, amount) VALUES (?, ?)")) {
      ps.setString(1, gid);
      ps.setInt(2, amount);
      ps.executeUpdate();
    }
    return null;
  }

  private static boolean recorded(String gid) throws SQLException {
    try (Connection c = PG.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT 1 FROM sdk_msg_test.ledger WHERE gid = ?")) {
      ps.setString(1, gid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private Msg transfer() {
    return client.msg().add(service.url("/deposit"), Map.of("amount", 30)).queryPrepared(service.url("/check"));
  }

  @Test
  void theLocalTransactionCommitsAndTheActionIsDelivered() throws SQLException {
    Msg msg = transfer();
    msg.doAndSubmitDb(PG, conn -> record(conn, msg.gid(), 30));

    assertThat(client.awaitFinal(msg.gid(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(recorded(msg.gid())).isTrue();
    assertThat(service.callsTo("/deposit")).singleElement()
        .satisfies(c -> assertThat(c.body()).isEqualTo("{\"amount\":30}"))
        .satisfies(c -> assertThat(c.op()).isEqualTo("action"));
  }

  @Test
  void aBusinessRefusalRollsBackAndDropsTheMessage() throws SQLException {
    Msg msg = transfer();
    assertThatThrownBy(() -> msg.doAndSubmitDb(PG, conn -> {
      record(conn, msg.gid(), 30);
      throw new BranchFailedException("limit exceeded");
    })).isInstanceOf(TransactionFailedException.class).hasMessageContaining("limit exceeded");

    assertThat(client.awaitFinal(msg.gid(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(recorded(msg.gid())).isFalse();
    assertThat(service.callsTo("/deposit")).isEmpty();
  }

  @Test
  void anUnexpectedErrorAsksTheBarrierAndAbortsWhatDidNotCommit() throws SQLException {
    Msg msg = transfer();
    assertThatThrownBy(() -> msg.doAndSubmitDb(PG, conn -> {
      record(conn, msg.gid(), 30);
      throw new IllegalStateException("bug");
    })).isInstanceOf(TransactionFailedException.class).hasMessageContaining("did not commit");

    assertThat(client.awaitFinal(msg.gid(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(recorded(msg.gid())).isFalse();
    // The check blocked the gid for good: a late attempt of the same local transaction does not run its business.
    AtomicBoolean ran = new AtomicBoolean();
    var late = JdbcBarrier.defaults().callInTransaction(PG, BranchBarrier.forMsg(msg.gid()), conn -> {
      ran.set(true);
      return null;
    });
    assertThat(ran).isFalse();
    assertThat(late.outcome()).isNotEqualTo(BarrierOutcome.EXECUTED);
  }

  @Test
  void aCommitWhoseSubmitNeverCameIsDeliveredAfterTheCheckBack() throws SQLException {
    Msg msg = transfer();
    msg.prepare();
    // The process "dies" after committing its local transaction and before submitting.
    JdbcBarrier.defaults().callInTransaction(PG, BranchBarrier.forMsg(msg.gid()), conn -> record(conn, msg.gid(), 30));
    assertThat(cohort.status(msg.gid())).isEqualTo("prepared");

    cohort.advance(Duration.ofSeconds(21));
    assertThat(client.awaitFinal(msg.gid(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(service.callsTo("/check")).isNotEmpty();
    assertThat(service.callsTo("/deposit")).hasSize(1);
  }

  @Test
  void aPreparedMessageWhoseLocalTransactionNeverCommittedIsDropped() throws SQLException {
    Msg msg = transfer();
    msg.prepare();
    cohort.advance(Duration.ofSeconds(21));
    assertThat(client.awaitFinal(msg.gid(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(service.callsTo("/deposit")).isEmpty();
  }

  @Test
  void aLocalTransactionThatStartsAfterTheCheckBackClaimedItRunsNothingAndDeliversNothing() throws SQLException {
    // Regression: doAndSubmitDb ignored a BLOCKED barrier and submitted, delivering a deposit for a withdrawal that
    // never happened. Here the check-back (this service's own answer to the coordinator) wins the race.
    Msg msg = transfer();
    msg.prepare();
    assertThat(JdbcBarrier.defaults().queryPrepared(PG, msg.gid())).isFalse();
    AtomicBoolean ran = new AtomicBoolean();

    assertThatThrownBy(() -> msg.doAndSubmitDb(PG, conn -> {
      ran.set(true);
      return record(conn, msg.gid(), 30);
    })).isInstanceOf(TransactionFailedException.class).hasMessageContaining("check-back");

    assertThat(ran).isFalse();
    assertThat(recorded(msg.gid())).isFalse();
    assertThat(client.awaitFinal(msg.gid(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(service.callsTo("/deposit")).isEmpty();
  }

  @Test
  void missingPiecesAreNamed() {
    Msg noCheck = client.msg().add(service.url("/deposit"), 1);
    assertThatThrownBy(noCheck::prepare).isInstanceOf(IllegalStateException.class).hasMessageContaining("queryPrepared");
    Msg noAction = client.msg().queryPrepared(service.url("/check"));
    assertThatThrownBy(() -> noAction.doAndSubmitDb(PG, conn -> null)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at least one action");
    assertThatThrownBy(() -> client.msg().addTopic("a/b", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.msg().delay(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThat(client.query(noCheck.gid())).isEmpty();
    assertThat(client.query(noAction.gid())).isEmpty();
  }

  @Test
  void aDirectSubmitWithoutPrepareDelivers() {
    Msg msg = client.msg().add(service.url("/deposit"), 7).waitResult(true);
    msg.submit();
    assertThat(client.awaitFinal(msg.gid(), Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThatThrownBy(msg::submit).isInstanceOf(IllegalStateException.class);
  }
}
