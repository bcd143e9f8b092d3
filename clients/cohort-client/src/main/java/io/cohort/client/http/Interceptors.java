package io.cohort.client.http;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.Objects;

/** The SDK's ready-made interceptors. Each is an ordinary {@link Interceptor}; write your own the same way. */
public final class Interceptors {
  private Interceptors() {
  }

  /** Sets {@code Authorization: Bearer <token>} on calls to the coordinator only (never leaks it to participants). */
  public static Interceptor bearerToken(String token) {
    Objects.requireNonNull(token, "token");
    if (token.isBlank()) {
      throw new IllegalArgumentException("bearer token must not be blank");
    }
    String value = "Bearer " + token;
    return chain -> {
      OutboundRequest r = chain.request();
      return chain.proceed(r.target() == OutboundRequest.Target.COORDINATOR ? r.withHeader("Authorization", value) : r);
    };
  }

  /** Sets a fixed header on every call, to the coordinator and to participants. */
  public static Interceptor header(String name, String value) {
    // Validate now, not on the first call.
    OutboundRequest.of(OutboundRequest.Target.COORDINATOR, "GET", java.net.URI.create("http://localhost/"), null,
        java.time.Duration.ofSeconds(1)).withHeader(name, value);
    return chain -> chain.proceed(chain.request().withHeader(name, value));
  }

  /**
   * Logs each call's method, URL, status and duration at {@code DEBUG} (and failures at {@code WARNING}) through
   * {@link System.Logger}, which routes to whatever logging backend the application uses. Never logs bodies or headers
   * (they may hold payloads and tokens).
   */
  public static Interceptor logging(Logger logger) {
    Objects.requireNonNull(logger, "logger");
    return chain -> {
      OutboundRequest r = chain.request();
      long start = System.nanoTime();
      try {
        OutboundResponse resp = chain.proceed(r);
        if (logger.isLoggable(Level.DEBUG)) {
          logger.log(Level.DEBUG, "{0} -> {1} in {2} ms", r, resp.status(), (System.nanoTime() - start) / 1_000_000);
        }
        return resp;
      } catch (java.io.IOException | RuntimeException e) {
        logger.log(Level.WARNING, "{0} failed after {1} ms: {2}", r, (System.nanoTime() - start) / 1_000_000,
            e.toString());
        throw e;
      }
    };
  }
}
