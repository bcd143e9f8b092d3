package io.cohort.client.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cohort.client.Coordinator;
import io.cohort.client.CoordinatorException;
import io.cohort.client.PayloadSerializationException;
import io.cohort.client.TransactionInfo;
import io.cohort.client.http.OutboundRequest;
import io.cohort.client.http.OutboundResponse;
import io.cohort.protocol.GlobalStatus;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Internal, not API. {@link Coordinator} over HTTP, with the one place that turns the coordinator's answers into
 * results or {@link CoordinatorException}s: 200 is success unless its body says {@code "dtm_result":"FAILURE"} (an
 * old DTM server's way of saying 409); any other status is a refusal carrying the coordinator's {@code message}.
 */
public final class HttpCoordinator implements Coordinator {
  /** The wire JSON: maps in, trees out. Package users share it for building bodies. */
  public static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final Duration MAX_WAIT = Duration.ofSeconds(300);

  private final URI base;
  private final HttpTransport transport;
  private final Duration callTimeout;

  public HttpCoordinator(URI base, HttpTransport transport, Duration callTimeout) {
    this.base = base;
    this.transport = transport;
    this.callTimeout = callTimeout;
  }

  @Override
  public String newGid() {
    JsonNode n = tree(call("newGid", "GET", "newGid", null, callTimeout));
    String gid = n.path("gid").asText("");
    if (gid.isEmpty()) {
      throw new CoordinatorException("newGid", 200, "the coordinator answered without a gid", null);
    }
    return gid;
  }

  @Override
  public void prepare(Map<String, ?> body) {
    call("prepare", "POST", "prepare", body, callTimeout);
  }

  @Override
  public void submit(Map<String, ?> body) {
    call("submit", "POST", "submit", body, callTimeout);
  }

  @Override
  public void abort(Map<String, ?> body) {
    call("abort", "POST", "abort", body, callTimeout);
  }

  @Override
  public void registerBranch(Map<String, String> body) {
    call("registerBranch", "POST", "registerBranch", body, callTimeout);
  }

  @Override
  public String prepareWorkflow(Map<String, ?> body) {
    return call("prepareWorkflow", "POST", "prepareWorkflow", body, callTimeout);
  }

  @Override
  public Optional<TransactionInfo> query(String gid) {
    requireGid(gid);
    JsonNode n = tree(call("query", "GET", "query?gid=" + enc(gid), null, callTimeout));
    return n.path("transaction").isObject() ? Optional.of(info(n)) : Optional.empty();
  }

  @Override
  public TransactionInfo awaitFinal(String gid, Duration timeout) {
    requireGid(gid);
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.compareTo(MAX_WAIT) > 0) {
      throw new IllegalArgumentException("timeout must be between 0 and 300 s: " + timeout);
    }
    String path = "wait?gid=" + enc(gid) + "&timeout_ms=" + timeout.toMillis();
    try {
      return info(tree(call("wait", "GET", path, null, callTimeout.plus(timeout))));
    } catch (CoordinatorException e) {
      if (e.httpStatus() == 425 && e.getCause() instanceof Answer a) {
        return info(tree(a.body));
      }
      throw e;
    }
  }

  /**
   * One call: {@code body} ({@code null} for a GET) is written as JSON; the answer's text is returned for a 200, and
   * anything else becomes a {@link CoordinatorException} whose cause is an {@link Answer} holding the body.
   */
  public String call(String endpoint, String method, String pathAndQuery, Object body, Duration timeout) {
    byte[] bytes = null;
    if (body != null) {
      try {
        bytes = JSON.writeValueAsBytes(body);
      } catch (JsonProcessingException e) {
        throw new PayloadSerializationException("cannot write the " + endpoint + " request as JSON: "
            + e.getOriginalMessage(), e);
      }
    }
    OutboundRequest req = OutboundRequest.of(OutboundRequest.Target.COORDINATOR, method,
        URI.create(base + "/" + pathAndQuery), bytes, timeout);
    OutboundResponse resp;
    try {
      resp = transport.execute(req);
    } catch (java.net.http.HttpTimeoutException e) {
      throw new CoordinatorException(endpoint, 0, "no answer within " + req.timeout().toMillis() + " ms from "
          + base, e);
    } catch (IOException e) {
      throw new CoordinatorException(endpoint, 0, "cannot reach the coordinator at " + base + ": " + e, e);
    }
    String text = resp.bodyAsString();
    if (resp.status() == 200 && !saysFailure(text)) {
      return text;
    }
    int status = resp.status() == 200 ? 409 : resp.status();
    throw new CoordinatorException(endpoint, status, messageOf(text, status), new Answer(text));
  }

  /** An old DTM server answers a refusal with 200 and {@code "dtm_result":"FAILURE"}. */
  private static boolean saysFailure(String text) {
    if (!text.contains("dtm_result")) {
      return false;
    }
    try {
      return "FAILURE".equals(JSON.readTree(text).path("dtm_result").asText(""));
    } catch (JsonProcessingException | RuntimeException e) {
      return false;
    }
  }

  private static String messageOf(String text, int status) {
    try {
      JsonNode n = JSON.readTree(text);
      String m = n.path("message").asText("");
      if (!m.isEmpty()) {
        return m + " (HTTP " + status + ")";
      }
    } catch (JsonProcessingException | RuntimeException ignored) {
      // not JSON: show the text
    }
    String shortText = text.length() > 300 ? text.substring(0, 300) + "..." : text;
    return "HTTP " + status + (shortText.isBlank() ? "" : ": " + shortText);
  }

  private static JsonNode tree(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new CoordinatorException("decode", 200, "the coordinator's answer is not JSON: " + e.getOriginalMessage(),
          e);
    }
  }

  private static TransactionInfo info(JsonNode n) {
    JsonNode t = n.path("transaction");
    List<TransactionInfo.Branch> branches = new ArrayList<>();
    for (JsonNode b : n.path("branches")) {
      branches.add(new TransactionInfo.Branch(b.path("branch_id").asText(""), b.path("op").asText(""),
          b.path("status").asText(""), b.path("url").asText("")));
    }
    GlobalStatus status = GlobalStatus.fromWire(t.path("status").asText(""));
    if (status == null) {
      throw new CoordinatorException("query", 200, "the coordinator answered an unknown status '"
          + t.path("status").asText("") + "'", null);
    }
    return new TransactionInfo(t.path("gid").asText(), t.path("trans_type").asText(""), status,
        t.path("rollback_reason").asText(""), branches);
  }

  private static void requireGid(String gid) {
    if (gid == null || gid.isBlank()) {
      throw new IllegalArgumentException("gid must not be empty");
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** The body of a refused call, kept as the exception's cause for callers that need it. */
  public static final class Answer extends Exception {
    private static final long serialVersionUID = 1L;
    private final String body;

    Answer(String body) {
      super(body.length() > 500 ? body.substring(0, 500) + "..." : body, null, false, false);
      this.body = body;
    }

    public String body() {
      return body;
    }
  }
}
