package io.cohort.client;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The coordinator's HTTP API, one method per endpoint, for code that needs a call the builders do not make (and for
 * the builders themselves). Bodies are JSON objects given as maps; every call passes through the client's interceptors,
 * and every refusal arrives as a {@link CoordinatorException} carrying the HTTP status and the coordinator's message.
 */
public interface Coordinator {
  /** A fresh gid from the coordinator. */
  String newGid();

  void prepare(Map<String, ?> body);

  void submit(Map<String, ?> body);

  void abort(Map<String, ?> body);

  /** Registers a branch; DTM's wire format takes string values only. */
  void registerBranch(Map<String, String> body);

  /** Creates or loads a workflow; returns the coordinator's answer as JSON text ({@code {transaction, progresses}}). */
  String prepareWorkflow(Map<String, ?> body);

  /** The transaction, or empty when the coordinator does not know the gid. */
  Optional<TransactionInfo> query(String gid);

  /**
   * Waits up to {@code timeout} (at most 300 s) for the transaction to become final and returns it; when the time
   * runs out, returns it in its current, not final, status.
   *
   * @throws CoordinatorException with status 404 when the gid is unknown
   */
  TransactionInfo awaitFinal(String gid, Duration timeout);
}
