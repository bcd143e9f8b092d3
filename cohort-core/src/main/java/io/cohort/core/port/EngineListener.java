package io.cohort.core.port;

import io.cohort.core.model.Transaction;

/** Told about every transaction the engine has durably written. Must be cheap and must not throw. */
public interface EngineListener {
  EngineListener NONE = t -> {};

  void written(Transaction t);
}
