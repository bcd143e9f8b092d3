package io.cohort.client.http;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** The answer to an {@link OutboundRequest}: the HTTP status and the body (empty when there was none). */
public final class OutboundResponse {
  private final int status;
  private final byte[] body;

  public OutboundResponse(int status, byte[] body) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("not an HTTP status: " + status);
    }
    this.status = status;
    this.body = body == null ? new byte[0] : body.clone();
  }

  public int status() {
    return status;
  }

  /** The body bytes. A copy. */
  public byte[] body() {
    return body.clone();
  }

  /** The body as UTF-8 text. */
  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OutboundResponse r && r.status == status && java.util.Arrays.equals(r.body, body);
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, java.util.Arrays.hashCode(body));
  }

  @Override
  public String toString() {
    return "HTTP " + status;
  }
}
