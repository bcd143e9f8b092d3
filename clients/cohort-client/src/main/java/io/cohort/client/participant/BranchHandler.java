package io.cohort.client.participant;

import io.cohort.client.context.CohortContext;
import java.time.InstantSource;

/**
 * The participant's code for one branch endpoint, independent of the HTTP framework. The adapters
 * ({@link JdkHttpBranchHandler}, {@link ServletBranchHandler}) parse the request, call {@link #handle} and write the
 * answer produced by {@link #respond}.
 *
 * <p><b>Outcomes.</b> Returning normally means SUCCESS, whatever the value (it is never written to the body), except
 * that a returned {@link BranchResult}, {@link PreparedState} or {@link BranchResponse} is answered as such. Throwing
 * {@link io.cohort.client.barrier.BranchFailedException} means FAILURE (409), {@link BranchOngoingException} means
 * ONGOING (425), and any other exception means "error, retry with backoff" (500). See {@link BranchResponse}.
 */
@FunctionalInterface
public interface BranchHandler {
  /** Does the branch's work. */
  Object handle(BranchRequest request) throws Exception;

  /**
   * Calls {@link #handle} with the request's {@link CohortContext} current (its deadline, {@code traceparent} and
   * branch parameters, so calls the handler makes through a {@code CohortClient} carry them on), and maps its outcome
   * with {@link BranchResponse#forResult} / {@link BranchResponse#forException}.
   */
  default BranchResponse respond(BranchRequest request) {
    Object result;
    try (CohortContext.Scope ignored = CohortContext.fromRequest(request, InstantSource.system()).attach()) {
      result = handle(request);
    } catch (Exception e) {
      return BranchResponse.forException(e);
    }
    return BranchResponse.forResult(result);
  }

  /** A handler that returns nothing: SUCCESS unless it throws. */
  static BranchHandler of(VoidHandler handler) {
    return request -> {
      handler.handle(request);
      return null;
    };
  }

  /**
   * A msg check-back ({@code query_prepared}) endpoint: asks {@code check} about the request's gid and answers
   * committed → 200, rolled back → 409. For example, with a JDBC barrier:
   * {@code BranchHandler.checkBack(gid -> JdbcBarrier.defaults().queryPrepared(dataSource, gid))}.
   */
  static BranchHandler checkBack(CheckBack check) {
    return request -> PreparedState.of(check.committed(request.gid()));
  }

  /** {@link BranchHandler} without a result. */
  @FunctionalInterface
  interface VoidHandler {
    void handle(BranchRequest request) throws Exception;
  }

  /** The question a msg check-back asks: did the local transaction of {@code gid} commit? */
  @FunctionalInterface
  interface CheckBack {
    boolean committed(String gid) throws Exception;
  }
}
