package io.cohort.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** The contract plus JDBC-only cases; subclasses name the database. */
abstract class JdbcBarrierContractTest extends BarrierContractTest {
  private static final String EFFECTS = "cohort_barrier_test_effect";

  DataSource dataSource;
  final JdbcBarrier barrier = JdbcBarrier.defaults();

  abstract String url();

  abstract SqlDialect expectedDialect();

  /** An expression that is {@code days} days before the database's now, for backdating rows. */
  abstract String daysAgo(int days);

  @Override
  void open() throws Exception {
    dataSource = new SimpleDataSource(url());
    barrier.ensureSchema(dataSource);
    try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
      st.execute("create table if not exists " + EFFECTS + " (gid varchar(128) not null, op varchar(45) not null)");
    }
  }

  @Override
  void close() {}

  @Override
  BarrierOutcome branch(BranchBarrier b, Business business) throws Exception {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        BarrierResult<Void> r = barrier.call(c, b, conn -> {
          try (PreparedStatement ps = conn.prepareStatement("insert into " + EFFECTS + "(gid, op) values(?, ?)")) {
            ps.setString(1, b.gid());
            ps.setString(2, b.op());
            ps.executeUpdate();
          }
          if (business == Business.FAIL) {
            throw new IllegalStateException("business failed on purpose");
          }
          if (business == Business.SLOW) {
            Thread.sleep(ThreadLocalRandom.current().nextInt(2, 15));
          }
          return null;
        });
        c.commit();
        return r.outcome();
      } catch (Exception e) {
        c.rollback();
        throw e;
      }
    }
  }

  @Override
  int effects(String gid, String op) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("select count(*) from " + EFFECTS + " where gid = ? and op = ?")) {
      ps.setString(1, gid);
      ps.setString(2, op);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  @Override
  boolean queryPrepared(String gid) throws SQLException {
    return barrier.queryPrepared(dataSource, gid);
  }

  /** Rows of one gid as "branch_id/op/barrier_id/reason/trans_type", in key order. */
  List<String> rows(String table, String gid) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("select branch_id, op, barrier_id, reason, trans_type from " + table
            + " where gid = ? order by branch_id, op, barrier_id")) {
      ps.setString(1, gid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3) + "/" + rs.getString(4) + "/"
              + rs.getString(5));
        }
      }
    }
    return rows;
  }

  @Test
  void dialectIsDetectedFromTheConnection() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      assertThat(SqlDialect.detect(c)).isEqualTo(expectedDialect());
    }
  }

  @Test
  void aBarrierOnAConnectionInAutoCommitModeIsRefused() throws SQLException {
    String gid = newGid();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      assertThatThrownBy(() -> barrier.call(c, tcc(gid, "try"), conn -> "never"))
          .isInstanceOf(BarrierMisuseException.class)
          .hasMessageContaining("auto-commit")
          .satisfies(e -> assertThat(((BarrierMisuseException) e).retryable()).isFalse());
    }
    assertThat(rows(JdbcBarrier.DEFAULT_TABLE, gid)).isEmpty();
  }

  @Test
  void rowsMatchDtmsLayoutAndValues() throws Exception {
    String gid = newGid();
    branch(tcc(gid, "cancel"), Business.OK);
    branch(tcc(gid, "confirm"), Business.OK);
    queryPrepared(gid);
    assertThat(rows(JdbcBarrier.DEFAULT_TABLE, gid)).containsExactly(
        "00/msg/01/rollback/msg", "01/cancel/01/cancel/tcc", "01/confirm/01/confirm/tcc", "01/try/01/cancel/tcc");
  }

  @Test
  void callInTransactionCommitsAndRollsBack() throws Exception {
    String gid = newGid();
    assertThatThrownBy(() -> barrier.callInTransaction(dataSource, tcc(gid, "try"), conn -> {
      throw new java.io.IOException("checked failure");
    })).isInstanceOf(BarrierBusinessException.class).hasRootCauseInstanceOf(java.io.IOException.class);
    assertThat(rows(JdbcBarrier.DEFAULT_TABLE, gid)).isEmpty();
    BarrierResult<String> ok = tcc(gid, "try").callInTransaction(dataSource, conn -> "done");
    assertThat(ok.outcome()).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(ok.value()).isEqualTo("done");
    assertThat(rows(JdbcBarrier.DEFAULT_TABLE, gid)).containsExactly("01/try/01/try/tcc");
  }

  @Test
  void ensureSchemaIsIdempotentAndHonoursACustomTable() throws Exception {
    barrier.ensureSchema(dataSource);
    JdbcBarrier custom = JdbcBarrier.builder().table("cohort_custom_barrier").dialect(expectedDialect()).build();
    custom.ensureSchema(dataSource);
    custom.ensureSchema(dataSource);
    String gid = newGid();
    assertThat(custom.callInTransaction(dataSource, tcc(gid, "cancel"), c -> 1).outcome())
        .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
    assertThat(rows("cohort_custom_barrier", gid)).hasSize(2);
    assertThat(rows(JdbcBarrier.DEFAULT_TABLE, gid)).isEmpty();
  }

  @Test
  void cleanupDeletesOnlyRowsOlderThanTheRetentionInBatches() throws Exception {
    JdbcBarrier custom = JdbcBarrier.builder().table("cohort_cleanup_barrier").build();
    custom.ensureSchema(dataSource);
    String oldGid = newGid();
    String newGid = newGid();
    for (int i = 0; i < 7; i++) {
      custom.callInTransaction(dataSource, BranchBarrier.of("saga", oldGid, "0" + i, "action"), c -> null);
    }
    custom.callInTransaction(dataSource, BranchBarrier.of("saga", newGid, "01", "action"), c -> null);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "update cohort_cleanup_barrier set create_time = " + daysAgo(10) + " where gid = ?")) {
      ps.setString(1, oldGid);
      assertThat(ps.executeUpdate()).isEqualTo(7);
    }
    assertThat(custom.deleteOlderThan(dataSource, Duration.ofDays(3), 3)).isGreaterThanOrEqualTo(7);
    assertThat(rows("cohort_cleanup_barrier", oldGid)).isEmpty();
    assertThat(rows("cohort_cleanup_barrier", newGid)).hasSize(1);
  }
}
