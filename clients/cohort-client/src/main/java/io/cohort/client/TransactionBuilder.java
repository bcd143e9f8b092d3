package io.cohort.client;

import io.cohort.client.context.CohortContext;
import io.cohort.client.internal.ClientRuntime;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The options every kind of global transaction shares, and the one place their wire fields are written. Each setter
 * validates at once, so a bad value fails where it is written, before anything reaches the coordinator.
 *
 * <p>Times travel in whole seconds (the wire protocol counts seconds), so a {@link Duration} with a fraction of a
 * second is refused rather than silently rounded.
 *
 * @param <B> the concrete builder, returned by every setter
 */
public abstract class TransactionBuilder<B extends TransactionBuilder<B>> {
  private static final int MAX_GID = 128;

  private final ClientRuntime runtime;
  private final String gid;
  private final String transType;
  private Duration timeoutToFail;
  private Duration retryInterval;
  private Duration requestTimeout;
  private final Map<String, String> branchHeaders = new LinkedHashMap<>();
  private boolean waitResult;
  private boolean executed;

  /** For the SDK's own builders. */
  protected TransactionBuilder(ClientRuntime runtime, String gid, String transType) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    this.gid = checkGid(gid);
    this.transType = transType;
  }

  static String checkGid(String gid) {
    if (gid == null || gid.isBlank()) {
      throw new IllegalArgumentException("gid must not be empty");
    }
    if (gid.length() > MAX_GID) {
      throw new IllegalArgumentException("gid is longer than " + MAX_GID + " characters: '" + gid + "'");
    }
    if (gid.chars().anyMatch(c -> c == '\n' || c == '\r' || c == ';' || Character.isISOControl(c))) {
      throw new IllegalArgumentException("gid must not contain line breaks, ';' or control characters: '" + gid + "'");
    }
    return gid;
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** The transaction's id. */
  public String gid() {
    return gid;
  }

  /**
   * How long until the coordinator gives up: a tcc/xa still prepared is rolled back, a prepared msg is checked back, a
   * saga still running is compensated. Whole seconds, at least 1.
   */
  public B timeoutToFail(Duration timeout) {
    this.timeoutToFail = seconds("timeoutToFail", timeout);
    return self();
  }

  /** The base of the coordinator's retry backoff for this transaction. Whole seconds, at least 1. */
  public B retryInterval(Duration interval) {
    this.retryInterval = seconds("retryInterval", interval);
    return self();
  }

  /** How long the coordinator waits for each branch call of this transaction. Whole seconds, at least 1. */
  public B requestTimeout(Duration timeout) {
    this.requestTimeout = seconds("requestTimeout", timeout);
    return self();
  }

  /** A header the coordinator sends with every branch call of this transaction (and the SDK with its own). */
  public B branchHeader(String name, String value) {
    Objects.requireNonNull(name, "branch header name");
    Objects.requireNonNull(value, "branch header value");
    if (name.isBlank() || name.chars().anyMatch(c -> c <= ' ' || c == ':' || c > '~')) {
      throw new IllegalArgumentException("not a valid HTTP header name: '" + name + "'");
    }
    if (value.chars().anyMatch(c -> c == '\r' || c == '\n')) {
      throw new IllegalArgumentException("branch header " + name + " must not contain a line break");
    }
    branchHeaders.put(name, value);
    return self();
  }

  /**
   * Whether submit waits for the coordinator's first processing round and reports a failure as a
   * {@link TransactionFailedException}. A round that is only slow answers "not final yet" ({@link CoordinatorException}
   * with 425); use {@link CohortClient#awaitFinal} to wait for the end.
   */
  public B waitResult(boolean wait) {
    this.waitResult = wait;
    return self();
  }

  protected final ClientRuntime runtime() {
    return runtime;
  }

  protected final Map<String, String> branchHeaders() {
    Map<String, String> h = new LinkedHashMap<>(branchHeaders);
    CohortContext.current().traceparent().ifPresent(tp -> {
      if (h.keySet().stream().noneMatch(k -> k.equalsIgnoreCase(CohortContext.TRACEPARENT_HEADER))) {
        h.put(CohortContext.TRACEPARENT_HEADER, tp);
      }
    });
    return h;
  }

  /** The wire body's common fields; the builders add their own. */
  protected final Map<String, Object> body() {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("gid", gid);
    b.put("trans_type", transType);
    if (timeoutToFail != null) {
      b.put("timeout_to_fail", timeoutToFail.getSeconds());
    }
    if (retryInterval != null) {
      b.put("retry_interval", retryInterval.getSeconds());
    }
    if (requestTimeout != null) {
      b.put("request_timeout", requestTimeout.getSeconds());
    }
    Map<String, String> h = branchHeaders();
    if (!h.isEmpty()) {
      b.put("branch_headers", h);
    }
    if (waitResult) {
      b.put("wait_result", true);
    }
    return b;
  }

  /** Submits {@code body}, turning a {@code waitResult} refusal (409) into {@link TransactionFailedException}. */
  protected final void submitBody(Map<String, Object> body) {
    try {
      runtime.coordinator().submit(body);
    } catch (CoordinatorException e) {
      if (e.httpStatus() == 409) {
        throw new TransactionFailedException(gid, e.getMessage(), e);
      }
      throw e;
    }
  }

  /** The application's part of a TCC or XA transaction, run between prepare and submit. */
  @FunctionalInterface
  protected interface PhaseOne<R> {
    R run() throws Exception;
  }

  /**
   * The TCC and XA protocol as the application sees it: prepare, run {@code work}, then submit; if the work throws,
   * abort with its message as the rollback reason and throw {@link TransactionFailedException} with it as cause (an
   * {@link Error} is rethrown as is, after the abort). Once per builder.
   */
  protected final <R> R prepareRunSubmit(PhaseOne<R> work) {
    if (executed) {
      throw new IllegalStateException(transType + " " + gid + " was already executed; build a new one");
    }
    executed = true;
    Map<String, Object> wire = body();
    runtime.coordinator().prepare(wire);
    R result;
    try {
      result = work.run();
    } catch (Exception e) {
      abortQuietly(e);
      throw new TransactionFailedException(gid, "aborted because the body threw: " + e, e);
    } catch (Error e) {
      abortQuietly(e);
      throw e;
    }
    submitBody(wire);
    return result;
  }

  /**
   * Aborts the (tcc or xa) transaction after its body threw {@code cause}, with the cause's message as the rollback
   * reason. A failure to reach the coordinator is added to {@code cause} as suppressed, never thrown: the coordinator
   * rolls a prepared transaction back at its timeout anyway, and the body's error is the one the caller needs.
   */
  private void abortQuietly(Throwable cause) {
    Map<String, Object> wire = body();
    wire.remove("wait_result");
    String reason = String.valueOf(cause.getMessage());
    wire.put("rollback_reason", reason.length() > 1000 ? reason.substring(0, 1000) : reason);
    try {
      runtime.coordinator().abort(wire);
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  /** Encodes a payload, naming what it belongs to when it cannot be. */
  protected final String encode(String what, Object payload) {
    try {
      return runtime.codec().encode(payload);
    } catch (PayloadSerializationException e) {
      throw new PayloadSerializationException(what + ": " + e.getMessage(), e.getCause());
    }
  }

  /**
   * Checks a branch URL: empty (a branch with nothing to call, which counts as done) or an absolute http(s) URL.
   */
  protected static String checkUrl(String what, String url, boolean emptyAllowed) {
    return io.cohort.client.internal.Urls.check(what, url, emptyAllowed);
  }

  /** A duration for the wire, which counts whole seconds: at least 1 s and no fraction, or an error naming it. */
  protected static Duration seconds(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.getNano() != 0 || d.getSeconds() < 1) {
      throw new IllegalArgumentException(name + " must be a whole number of seconds, at least 1 (the wire protocol "
          + "counts seconds): " + d);
    }
    return d;
  }
}
