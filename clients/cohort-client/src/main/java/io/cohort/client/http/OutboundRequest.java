package io.cohort.client.http;

import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One HTTP call the SDK is about to make, as interceptors see it: to the coordinator ({@link Target#COORDINATOR}:
 * {@code prepare}, {@code submit}, {@code registerBranch}, ...) or to a participant the SDK calls itself
 * ({@link Target#PARTICIPANT}: a TCC try, an XA action). Immutable: an interceptor that adds a header passes a
 * changed copy on with {@code chain.proceed(request.withHeader(...))}.
 */
public final class OutboundRequest {
  /** Who the call goes to. */
  public enum Target {
    /** The coordinator's HTTP API. */
    COORDINATOR,
    /** A participant service, called directly by the SDK (TCC try, XA local phase). */
    PARTICIPANT
  }

  private final Target target;
  private final String method;
  private final URI uri;
  private final Map<String, String> headers;
  private final byte[] body;
  private final Duration timeout;

  private OutboundRequest(Target target, String method, URI uri, Map<String, String> headers, byte[] body,
      Duration timeout) {
    this.target = Objects.requireNonNull(target, "target");
    this.method = Objects.requireNonNull(method, "method");
    this.uri = Objects.requireNonNull(uri, "uri");
    this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    this.body = body == null ? null : body.clone();
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
  }

  /** A request; {@code body} is {@code null} for a GET. */
  public static OutboundRequest of(Target target, String method, URI uri, byte[] body, Duration timeout) {
    return new OutboundRequest(target, method, uri, Map.of(), body, timeout);
  }

  public Target target() {
    return target;
  }

  public String method() {
    return method;
  }

  public URI uri() {
    return uri;
  }

  /** The headers set so far (insertion order; names as given). Unmodifiable. */
  public Map<String, String> headers() {
    return headers;
  }

  /** The value of header {@code name} (any case), or {@code null}. */
  public String header(String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  /** The body, or {@code null} for none. A copy. */
  public byte[] body() {
    return body == null ? null : body.clone();
  }

  /** How long the SDK waits for the whole response. */
  public Duration timeout() {
    return timeout;
  }

  /** A copy with header {@code name} set to {@code value}, replacing any value of the same name in any case. */
  public OutboundRequest withHeader(String name, String value) {
    Objects.requireNonNull(name, "header name");
    Objects.requireNonNull(value, "header value");
    if (name.isBlank() || name.chars().anyMatch(c -> c <= ' ' || c == ':' || c > '~')) {
      throw new IllegalArgumentException("not a valid HTTP header name: '" + name + "'");
    }
    if (value.chars().anyMatch(c -> c == '\r' || c == '\n')) {
      throw new IllegalArgumentException("header " + name + " must not contain a line break");
    }
    Map<String, String> copy = new LinkedHashMap<>();
    headers.forEach((k, v) -> {
      if (!k.equalsIgnoreCase(name)) {
        copy.put(k, v);
      }
    });
    copy.put(name, value);
    return new OutboundRequest(target, method, uri, copy, body, timeout);
  }

  /** A copy with another timeout. */
  public OutboundRequest withTimeout(Duration newTimeout) {
    return new OutboundRequest(target, method, uri, headers, body, newTimeout);
  }

  @Override
  public String toString() {
    return method + " " + uri + " (" + target.name().toLowerCase(java.util.Locale.ROOT) + ")";
  }
}
