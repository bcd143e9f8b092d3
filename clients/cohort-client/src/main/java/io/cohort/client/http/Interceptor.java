package io.cohort.client.http;

import java.io.IOException;

/**
 * A step every HTTP call of the SDK passes through, to the coordinator and to participants alike: add an auth header,
 * start a tracing span, log, count. Interceptors run in the order they were added to the client's options, after the
 * SDK's own context interceptor (deadline and {@code traceparent}); the last one hands the request to the transport.
 *
 * <p>An interceptor either calls {@link Chain#proceed} exactly once (perhaps with a changed request) and returns or
 * adapts its response, or answers itself without proceeding (a cache, a circuit breaker). Throwing an
 * {@link IOException} makes the call count as "coordinator unreachable", which callers may retry.
 */
@FunctionalInterface
public interface Interceptor {
  OutboundResponse intercept(Chain chain) throws IOException;

  /** The rest of the chain, from one interceptor's point of view. */
  interface Chain {
    /** The request as the previous interceptor passed it on. */
    OutboundRequest request();

    /** Runs the remaining interceptors and the transport with {@code request}. */
    OutboundResponse proceed(OutboundRequest request) throws IOException;
  }
}
