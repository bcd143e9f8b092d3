package io.cohort.client.participant;

import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.InvalidBranchException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One branch call from the coordinator (DTM wire protocol reference, section 2.1): the four branch parameters
 * ({@code gid}, {@code trans_type}, {@code branch_id}, {@code op}) from the query string, the headers and the raw
 * body (the branch payload, usually JSON; empty for a GET).
 *
 * <p>Validation is the barrier's: building a request builds its {@link BranchBarrier}, which refuses a missing or
 * blank parameter with {@link InvalidBranchException} naming it. The adapters answer that with HTTP 400.
 *
 * <p>Not thread-safe, like the request it stands for: {@link #barrier()} is the one barrier of this request, whose
 * barrier-id counter advances with each protected call.
 */
public final class BranchRequest {
  private final BranchBarrier barrier;
  private final Map<String, List<String>> query;
  private final Map<String, List<String>> headers;
  private final byte[] body;

  private BranchRequest(Map<String, List<String>> query, Map<String, List<String>> headers, byte[] body) {
    this.query = copy(query, new LinkedHashMap<>());
    this.headers = copy(headers == null ? Map.of() : headers, new TreeMap<>(String.CASE_INSENSITIVE_ORDER));
    this.body = body == null ? new byte[0] : body.clone();
    this.barrier = BranchBarrier.fromQuery(this.query);
  }

  /**
   * A request from its query parameters (all values per name), headers (any case; {@code null} for none) and body
   * ({@code null} for none).
   *
   * @throws InvalidBranchException naming the first missing branch parameter
   */
  public static BranchRequest of(Map<String, List<String>> query, Map<String, List<String>> headers, byte[] body) {
    Objects.requireNonNull(query, "query");
    return new BranchRequest(query, headers, body);
  }

  /**
   * A request from a raw (still percent-encoded) query string such as {@code gid=g1&trans_type=saga&...};
   * {@code null} or empty means no parameters (and so an {@link InvalidBranchException}).
   *
   * @throws InvalidBranchException naming the first missing branch parameter
   */
  public static BranchRequest fromQueryString(String rawQuery, Map<String, List<String>> headers, byte[] body) {
    return new BranchRequest(parseQuery(rawQuery), headers, body);
  }

  /** Parses a raw query string into its parameters, in order, all values per name, decoded as UTF-8. */
  public static Map<String, List<String>> parseQuery(String rawQuery) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return params;
  }

  public String gid() {
    return barrier.gid();
  }

  public String transType() {
    return barrier.transType();
  }

  public String branchId() {
    return barrier.branchId();
  }

  public String op() {
    return barrier.op();
  }

  /**
   * The barrier of this request (the same object on every call, so several protected calls take 01, 02, ...). Safe
   * to reuse inside work that {@code LocalTransactions} retries: a retry takes the same ids as the failed attempt.
   */
  public BranchBarrier barrier() {
    return barrier;
  }

  /** All query parameters, including any the branch URL carried itself. Unmodifiable. */
  public Map<String, List<String>> query() {
    return query;
  }

  /** The first value of query parameter {@code name}, or {@code null}. */
  public String queryParam(String name) {
    List<String> values = query.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** All headers, looked up case-insensitively. Unmodifiable. */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /** The first value of header {@code name} (any case), or {@code null}. */
  public String header(String name) {
    List<String> values = headers.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** A copy of the raw body; empty, never {@code null}, when there was none. */
  public byte[] body() {
    return body.clone();
  }

  /** The body decoded as UTF-8 (the coordinator sends JSON). */
  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "BranchRequest[trans_type=" + transType() + ", gid=" + gid() + ", branch_id=" + branchId() + ", op=" + op()
        + ", body=" + body.length + " bytes]";
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // a malformed escape: keep the text as sent rather than refuse the whole request
    }
  }

  private static Map<String, List<String>> copy(Map<String, List<String>> from, Map<String, List<String>> into) {
    from.forEach((name, values) -> {
      if (name != null) {
        into.merge(name, values == null ? List.of() : values.stream().filter(Objects::nonNull).toList(), (a, b) -> {
          List<String> all = new ArrayList<>(a);
          all.addAll(b);
          return List.copyOf(all);
        });
      }
    });
    return Collections.unmodifiableMap(into);
  }
}
