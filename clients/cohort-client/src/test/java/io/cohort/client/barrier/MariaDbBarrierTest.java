package io.cohort.client.barrier;

/** The barrier contract on the real MariaDB at 127.0.0.1:3306 (db test), the MySQL dialect. */
class MariaDbBarrierTest extends JdbcBarrierContractTest {
  @Override
  String url() {
    return System.getProperty("cohort.test.mariadb.url", "jdbc:mariadb://127.0.0.1:3306/test?user=root&sslMode=disable");
  }

  @Override
  SqlDialect expectedDialect() {
    return SqlDialect.MYSQL;
  }

  @Override
  String daysAgo(int days) {
    return "CURRENT_TIMESTAMP - interval " + days + " day";
  }
}
