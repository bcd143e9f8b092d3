package io.cohort.client.xa;

import io.cohort.client.TransactionBuilder;
import io.cohort.client.TransactionFailedException;
import io.cohort.client.internal.ClientRuntime;
import java.util.Map;

/**
 * An XA global transaction, driven from the application side: {@link #execute} prepares it at the coordinator, runs
 * the body (which calls each resource manager through {@link XaGlobal}), then submits, after which the coordinator
 * commits every prepared branch in registration order. If the body throws, the transaction is aborted (every branch
 * rolled back) and a {@link TransactionFailedException} carries the cause. If this process dies half-way, the
 * coordinator rolls everything back once {@link #timeoutToFail} passes.
 */
public final class XaTransaction extends TransactionBuilder<XaTransaction> {
  /** Use {@link io.cohort.client.CohortClient#xa()}. */
  public XaTransaction(ClientRuntime runtime, String gid) {
    super(runtime, gid, "xa");
  }

  /** Runs the transaction: prepare, body, then submit (or abort if the body threw). */
  public <R> R execute(XaBody<R> body) {
    Map<String, String> headers = branchHeaders();
    return prepareRunSubmit(() -> body.run(new XaGlobal(runtime(), gid(), headers)));
  }
}
