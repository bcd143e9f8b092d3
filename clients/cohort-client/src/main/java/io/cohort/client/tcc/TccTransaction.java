package io.cohort.client.tcc;

import io.cohort.client.CoordinatorException;
import io.cohort.client.TransactionBuilder;
import io.cohort.client.TransactionFailedException;
import io.cohort.client.internal.ClientRuntime;
import java.util.Map;

/**
 * A TCC global transaction: {@link #execute} prepares it at the coordinator, runs the body (which calls each branch's
 * try through the {@link Tcc} handle), then submits, after which the coordinator confirms every branch (last
 * registered first). If the body throws, the transaction is aborted (every registered branch is cancelled) and the
 * failure is reported as a {@link TransactionFailedException} whose cause is what the body threw. If this process
 * dies half-way, the coordinator cancels everything once {@link #timeoutToFail} passes.
 *
 * <pre>{@code
 * client.tcc().execute(tcc -> {
 *   tcc.callBranch(transfer, "http://bank-a/try", "http://bank-a/confirm", "http://bank-a/cancel");
 *   tcc.callBranch(transfer, "http://bank-b/try", "http://bank-b/confirm", "http://bank-b/cancel");
 *   return null;
 * });
 * }</pre>
 */
public final class TccTransaction extends TransactionBuilder<TccTransaction> {
  /** Use {@link io.cohort.client.CohortClient#tcc()}. */
  public TccTransaction(ClientRuntime runtime, String gid) {
    super(runtime, gid, "tcc");
  }

  /**
   * Runs the transaction: prepare, body, then submit (or abort if the body threw).
   *
   * @return what the body returned
   * @throws TransactionFailedException when the body threw (the transaction was aborted), or the coordinator
   *     refused the submit because the transaction had already been aborted (for example by its timeout)
   * @throws CoordinatorException when the coordinator could not be reached to prepare or submit (a transaction left
   *     prepared is cancelled by the coordinator after its timeout)
   */
  public <R> R execute(TccBody<R> body) {
    Map<String, String> headers = branchHeaders();
    return prepareRunSubmit(() -> body.run(new Tcc(runtime(), gid(), "", headers)));
  }
}
