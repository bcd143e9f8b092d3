package io.cohort.store.jdbc;

/** {@link JdbcStoreBehaviour} on the real MariaDB. */
class MariaDbStoreBehaviourTest extends JdbcStoreBehaviour {
  @Override
  TestDatabase db() {
    return TestDatabase.MARIADB;
  }
}
