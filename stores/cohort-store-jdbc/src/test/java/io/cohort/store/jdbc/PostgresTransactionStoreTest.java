package io.cohort.store.jdbc;

import io.cohort.core.port.TransactionStore;
import io.cohort.store.tck.TransactionStoreContract;
import org.junit.jupiter.api.BeforeAll;

/** The store contract on the real PostgreSQL: each test gets the migrated schema, emptied. */
class PostgresTransactionStoreTest extends TransactionStoreContract {
  private static final TestDatabase DB = TestDatabase.POSTGRES;
  private static final String AREA = "cohort_store_test";

  @BeforeAll
  static void createSchema() {
    DB.recreate(AREA);
    JdbcTransactionStore.migrate(DB.options(AREA));
  }

  @Override
  protected TransactionStore newStore() {
    DB.empty(AREA);
    return JdbcTransactionStore.open(DB.options(AREA).withPoolSize(8));
  }
}
