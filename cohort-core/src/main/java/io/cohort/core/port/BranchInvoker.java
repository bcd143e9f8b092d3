package io.cohort.core.port;

import io.cohort.core.plan.BranchCall;
import io.cohort.core.plan.BranchOutcome;
import java.util.concurrent.CompletableFuture;

/**
 * Calls a participant. The implementation does the I/O (HTTP today) and maps the response to an outcome with
 * {@link BranchOutcome#fromHttp(int, String)}; transport errors and timeouts become
 * {@link BranchOutcome.Unreachable}. The future never completes exceptionally.
 */
public interface BranchInvoker {
  CompletableFuture<BranchOutcome> invoke(BranchCall call);
}
