package io.cohort.client;

import io.cohort.client.msg.Msg;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.saga.Saga;
import io.cohort.client.tcc.Tcc;
import io.cohort.client.tcc.TccTransaction;
import io.cohort.client.workflow.Workflows;
import io.cohort.client.xa.XaTransaction;
import java.time.Duration;
import java.util.Optional;

/**
 * The entry point of the SDK: one per application and coordinator, thread-safe, cheap to share. Starts global
 * transactions of every mode and asks the coordinator about them.
 *
 * <pre>{@code
 * try (CohortClient client = CohortClient.create("http://localhost:36789")) {
 *   String gid = client.saga()
 *       .add("http://svc-a/withdraw", "http://svc-a/withdraw-undo", transfer)
 *       .add("http://svc-b/deposit", "http://svc-b/deposit-undo", transfer)
 *       .submit();
 *   TransactionInfo done = client.awaitFinal(gid, Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>Works with Cohort and with DTM servers (the wire protocol is DTM's); {@link #awaitFinal} needs Cohort.
 */
public interface CohortClient extends AutoCloseable {
  /** A client with {@code options}. */
  static CohortClient create(CohortClientOptions options) {
    return new DefaultCohortClient(options);
  }

  /** A client of the coordinator at {@code coordinatorUrl} with default options. */
  static CohortClient create(String coordinatorUrl) {
    return create(CohortClientOptions.of(coordinatorUrl));
  }

  CohortClientOptions options();

  /** The coordinator's endpoints, one call each, for what the builders do not cover. */
  Coordinator coordinator();

  /** A fresh gid from the coordinator. */
  String newGid();

  /** A saga with a gid from the coordinator. */
  Saga saga();

  /** A saga with the caller's gid (at most 128 characters, no line breaks or ';'). */
  Saga saga(String gid);

  /** A TCC transaction with a gid from the coordinator; run it with {@code execute}. */
  TccTransaction tcc();

  TccTransaction tcc(String gid);

  /**
   * The TCC handle for a participant's own sub-branches (nested TCC): called inside the participant's try handler with
   * the request the coordinator (or the parent) made, it calls branches under the request's branch id.
   *
   * @throws IllegalArgumentException if the request is not a TCC try
   */
  Tcc tccBranchOf(BranchRequest request);

  /** An XA transaction with a gid from the coordinator; run it with {@code execute}. */
  XaTransaction xa();

  XaTransaction xa(String gid);

  /** A 2-phase message with a gid from the coordinator. */
  Msg msg();

  Msg msg(String gid);

  /**
   * The workflows of this service, resumed by the coordinator at {@code resumeUrl} (the absolute http(s) URL where the
   * service mounts {@link Workflows#resumeHandler()}). Register each workflow function once, then execute by gid.
   */
  Workflows workflows(String resumeUrl);

  /** The transaction, or empty when the coordinator does not know the gid. */
  Optional<TransactionInfo> query(String gid);

  /**
   * Waits until the transaction is final ({@code succeed} or {@code failed}) or {@code timeout} (at most 300 s)
   * passes, and returns it; check {@link TransactionInfo#isFinal()} to tell which.
   */
  TransactionInfo awaitFinal(String gid, Duration timeout);

  /** Releases the HTTP client. Builders made by this client must not be used after. */
  @Override
  void close();
}
