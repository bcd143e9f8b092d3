package io.cohort.store.tck;

import io.cohort.core.port.TransactionStore;

class InMemoryTransactionStoreTest extends TransactionStoreContract {
  @Override
  protected TransactionStore newStore() {
    return new InMemoryTransactionStore();
  }
}
