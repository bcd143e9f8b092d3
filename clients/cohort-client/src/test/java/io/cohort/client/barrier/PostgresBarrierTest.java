package io.cohort.client.barrier;

/** The barrier contract on the real PostgreSQL at 127.0.0.1:5432 (db test). */
class PostgresBarrierTest extends JdbcBarrierContractTest {
  @Override
  String url() {
    return System.getProperty("cohort.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
  }

  @Override
  SqlDialect expectedDialect() {
    return SqlDialect.POSTGRESQL;
  }

  @Override
  String daysAgo(int days) {
    return "CURRENT_TIMESTAMP - interval '" + days + " days'";
  }
}
