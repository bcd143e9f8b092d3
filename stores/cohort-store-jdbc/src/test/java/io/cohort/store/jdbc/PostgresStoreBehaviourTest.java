package io.cohort.store.jdbc;

/** {@link JdbcStoreBehaviour} on the real PostgreSQL. */
class PostgresStoreBehaviourTest extends JdbcStoreBehaviour {
  @Override
  TestDatabase db() {
    return TestDatabase.POSTGRES;
  }
}
