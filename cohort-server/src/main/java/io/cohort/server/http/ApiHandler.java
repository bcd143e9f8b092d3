package io.cohort.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohort.core.engine.Engine;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.ErrorCode;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.Gids;
import io.cohort.protocol.TransType;
import io.cohort.server.FinalWaiters;
import io.cohort.server.Rounds;
import io.cohort.server.topics.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DTM-compatible HTTP API ({@code /api/ping}, {@code /api/dtmsvr/*}) plus Cohort's {@code wait}. An adapter
 * only: it decodes, calls the engine, and encodes; decisions live in the engine. Runs on virtual threads (blocking
 * is fine). Every error is answered from the one table in {@link ErrorCode}; nothing is logged per request.
 */
public final class ApiHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
  private static final String PREFIX = "/api/dtmsvr/";
  private static final byte[] SUCCESS = "{\"dtm_result\":\"SUCCESS\"}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PONG = "{\"msg\":\"pong\"}".getBytes(StandardCharsets.UTF_8);
  private static final Duration MAX_WAIT = Duration.ofMinutes(5);
  private static final Duration MAX_LEASE_WAIT = Duration.ofSeconds(60);
  private static final char[] BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

  private final Engine engine;
  private final TransactionStore store;
  private final Rounds rounds;
  private final FinalWaiters waiters;
  private final long maxBody;
  private final ObjectMapper json;
  private final WireRequests requests;
  private final WireViews views;
  private final SecureRandom random = new SecureRandom();
  private final String version;
  private final Topics topics;

  public ApiHandler(Engine engine, TransactionStore store, Topics topics, Rounds rounds, FinalWaiters waiters,
      long maxBody, ObjectMapper json, String version) {
    this.engine = engine;
    this.topics = topics;
    this.store = store;
    this.rounds = rounds;
    this.waiters = waiters;
    this.maxBody = maxBody;
    this.json = json;
    this.requests = new WireRequests(json);
    this.views = new WireViews(json);
    this.version = version;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    String path = Request.getPathInContext(request);
    try {
      // Read the body before answering, whatever the endpoint and even when it ignores the body: a response sent
      // over unread content makes Jetty close the connection after it, and a client that already reused that
      // keep-alive connection for its next request sees it dropped with no answer.
      byte[] raw = body(request);
      if (path.equals("/api/ping")) {
        send(response, callback, 200, PONG);
        return true;
      }
      if (!path.startsWith(PREFIX)) {
        throw new CohortException(ErrorCode.NOT_FOUND, "no such endpoint: " + path);
      }
      String op = path.substring(PREFIX.length());
      switch (op) {
        case "newGid" -> send(response, callback, 200, ("{\"gid\":\"" + newGid() + "\",\"dtm_result\":\"SUCCESS\"}")
            .getBytes(StandardCharsets.UTF_8));
        case "prepare" -> {
          var decoded = requests.transaction(requests.parse(raw), request.getHeaders().get("traceparent"));
          engine.prepare(decoded.command());
          send(response, callback, 200, SUCCESS);
        }
        case "submit" -> submit(raw, request.getHeaders().get("traceparent"), response, callback);
        case "abort" -> abort(raw, response, callback);
        case "registerBranch", "registerTccBranch", "registerXaBranch" -> {
          engine.registerBranch(requests.registerBranch(requests.parse(raw)));
          send(response, callback, 200, SUCCESS);
        }
        case "prepareWorkflow" -> {
          var decoded = requests.transaction(requests.parse(raw), request.getHeaders().get("traceparent"));
          sendJson(response, callback, 200, views.workflow(engine.prepareWorkflow(decoded.command())));
        }
        case "subscribe" -> {
          Fields f = Request.extractQueryParameters(request);
          topics.subscribe(f.getValue("topic"), f.getValue("url"), f.getValue("remark"));
          send(response, callback, 200, SUCCESS);
        }
        case "unsubscribe" -> {
          Fields f = Request.extractQueryParameters(request);
          topics.unsubscribe(f.getValue("topic"), f.getValue("url"));
          send(response, callback, 200, SUCCESS);
        }
        case "resetCronTime" -> resetCronTime(request, response, callback);
        case "scanKV" -> scanKv(request, response, callback);
        case "queryKV" -> queryKv(request, response, callback);
        case "query" -> {
          String gid = param(request, "gid");
          if (gid == null || gid.isEmpty()) {
            throw CohortException.badRequest("no gid specified");
          }
          Gids.check(gid);
          Optional<Transaction> t = engine.find(gid);
          if (t.isEmpty()) {
            ObjectNode empty = json.createObjectNode();
            empty.putNull("transaction");
            empty.putArray("branches");
            sendJson(response, callback, 200, empty);
          } else {
            sendJson(response, callback, 200, views.query(t.get()));
          }
        }
        case "all" -> all(request, response, callback);
        case "forceStop" -> {
          engine.forceStop(gidFrom(request, raw));
          send(response, callback, 200, SUCCESS);
        }
        case "resetNextCronTime" -> {
          engine.resetNextWake(gidFrom(request, raw));
          send(response, callback, 200, SUCCESS);
        }
        case "version" -> send(response, callback, 200,
            ("{\"version\":\"" + version + "\",\"dtm_compatible\":\"v1.19.0\"}").getBytes(StandardCharsets.UTF_8));
        case "wait" -> awaitFinal(request, response, callback);
        default -> {
          if (!op.startsWith("topic/")) {
            throw new CohortException(ErrorCode.NOT_FOUND, "no such endpoint: " + path);
          }
          if (!request.getMethod().equals("DELETE")) {
            throw CohortException.badRequest("a topic is deleted with DELETE /api/dtmsvr/topic/{name}");
          }
          topics.delete(java.net.URLDecoder.decode(op.substring("topic/".length()), StandardCharsets.UTF_8));
          send(response, callback, 200, SUCCESS);
        }
      }
    } catch (CohortException e) {
      error(response, callback, e.code(), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error(response, callback, ErrorCode.UNAVAILABLE, "interrupted (shutting down)");
    } catch (RuntimeException e) {
      LOG.error("internal error on {}: {}", path, e.toString(), e);
      error(response, callback, ErrorCode.INTERNAL, "internal error: " + e.getMessage());
    }
    return true;
  }

  private void submit(byte[] raw, String traceparent, Response response, Callback callback) {
    var decoded = requests.transaction(requests.parse(raw), traceparent);
    if (decoded.command().type() == TransType.WORKFLOW) {
      // A workflow's submit only records the final status its client reached (reference section 1.3).
      Map<String, String> extra = decoded.reqExtra();
      engine.finishWorkflow(decoded.command().gid(), extra.get("status"), extra.get("result"),
          extra.get("rollback_reason"));
      send(response, callback, 200, SUCCESS);
      return;
    }
    firstRound(engine.submit(decoded.command()), decoded.waitResult(), GlobalStatus.SUCCEED, response, callback);
  }

  private void abort(byte[] raw, Response response, Callback callback) {
    JsonNode body = requests.parse(raw);
    Engine.Submitted s = engine.abort(WireRequests.string(body, "gid"), requests.transType(body),
        WireRequests.string(body, "rollback_reason"));
    firstRound(s, body.path("wait_result").asBoolean(false), GlobalStatus.FAILED, response, callback);
  }

  /**
   * Runs the first round of an accepted submit or abort: in the background, answering SUCCESS at once; or, for
   * {@code wait_result}, here (or by waiting for the round another node holds), answering by its outcome.
   */
  private void firstRound(Engine.Submitted s, boolean waitResult, GlobalStatus wanted, Response response,
      Callback callback) {
    if (!waitResult) {
      if (s.drive()) {
        rounds.runAsync(s.transaction());
      }
      send(response, callback, 200, SUCCESS);
      return;
    }
    Transaction t = s.drive() ? rounds.runNow(s.transaction()) : awaitLeaseHolder(s.transaction());
    answerRound(t, wanted, response, callback);
  }

  /**
   * Answers a {@code wait_result} submit or abort after its first round. Reaching the status the client asked for is
   * SUCCESS. A tcc or xa whose decision is stored but whose phase-2 calls are still being retried answers ONGOING
   * (425): the outcome is certain, only not final yet. Anything else is FAILURE (409) with the rollback reason.
   */
  private void answerRound(Transaction t, GlobalStatus wanted, Response response, Callback callback) {
    if (t.status() == wanted) {
      send(response, callback, 200, SUCCESS);
      return;
    }
    boolean phaseTwo = t.type() == TransType.TCC || t.type() == TransType.XA;
    GlobalStatus deciding = wanted == GlobalStatus.SUCCEED ? GlobalStatus.SUBMITTED : GlobalStatus.ABORTING;
    if (phaseTwo && t.status() == deciding) {
      String last = t.branches().stream().map(b -> b.lastError()).filter(e -> e != null).reduce((a, b) -> b)
          .orElse("");
      error(response, callback, ErrorCode.ONGOING, "transaction " + t.gid() + " is " + t.status().wire()
          + "; its phase-2 calls are being retried" + (last.isEmpty() ? "" : " (last error: " + last + ")"));
      return;
    }
    String reason = t.rollbackReason() == null || t.rollbackReason().isEmpty()
        ? "wait result not return success (status " + t.status().wire() + ")" : t.rollbackReason();
    error(response, callback, ErrorCode.FAILURE, reason);
  }

  private void resetCronTime(Request request, Response response, Callback callback) {
    Fields f = Request.extractQueryParameters(request);
    long defaultHorizon = engine.settings().plan().timeoutToFail().multipliedBy(3).toSeconds();
    Duration horizon = Duration.ofSeconds(longParam(f, "timeout", defaultHorizon));
    int limit = limitParam(f);
    Engine.ResetResult r = engine.resetCronTime(horizon, limit);
    ObjectNode n = json.createObjectNode();
    n.put("has_remaining", r.hasRemaining());
    n.put("succeed_count", r.reset());
    sendJson(response, callback, 200, n);
  }

  private void scanKv(Request request, Response response, Callback callback) {
    Fields f = Request.extractQueryParameters(request);
    String cat = requiredParam(f, "cat");
    String position = f.getValue("position") == null ? "" : f.getValue("position");
    int limit = limitParam(f);
    List<TransactionStore.KvEntry> rows = store.kvScan(cat, position, limit + 1);
    ObjectNode n = json.createObjectNode();
    ArrayNode kv = n.putArray("kv");
    for (TransactionStore.KvEntry e : rows.subList(0, Math.min(limit, rows.size()))) {
      kv.add(views.kv(e));
    }
    n.put("next_position", rows.size() > limit ? rows.get(limit - 1).key() : "");
    sendJson(response, callback, 200, n);
  }

  private void queryKv(Request request, Response response, Callback callback) {
    Fields f = Request.extractQueryParameters(request);
    String cat = requiredParam(f, "cat");
    String key = f.getValue("key") == null ? "" : f.getValue("key");
    List<TransactionStore.KvEntry> rows = key.isEmpty()
        ? store.kvScan(cat, "", 1000) : store.kvFind(cat, key).map(List::of).orElse(List.of());
    ObjectNode n = json.createObjectNode();
    ArrayNode kv = n.putArray("kv");
    rows.forEach(e -> kv.add(views.kv(e)));
    sendJson(response, callback, 200, n);
  }

  /** A page size: {@code limit}, 100 when absent, 1 to 1000. */
  private static int limitParam(Fields f) {
    long limit = longParam(f, "limit", 100);
    if (limit <= 0 || limit > 1000) {
      throw CohortException.badRequest("limit must be between 1 and 1000");
    }
    return (int) limit;
  }

  private static String requiredParam(Fields f, String name) {
    String v = f.getValue(name);
    if (v == null || v.isEmpty()) {
      throw CohortException.badRequest(name + " is required");
    }
    if (v.indexOf('\0') >= 0) {
      throw CohortException.badRequest(name + " contains a NUL character");
    }
    return v;
  }

  /**
   * A {@code wait_result} submit of a transaction whose round runs elsewhere (or ran on a coordinator that died and
   * still holds the lease): wait for that round, or for whoever claims it after the lease, instead of answering at
   * once with a result that is not the round's.
   */
  private Transaction awaitLeaseHolder(Transaction t) {
    if (t.isFinal() || t.nextWake() == null) {
      return t;
    }
    Duration untilLease = Duration.between(Instant.now(), t.nextWake());
    Duration wait = untilLease.plus(engine.settings().plan().requestTimeout().multipliedBy(2));
    if (wait.compareTo(MAX_LEASE_WAIT) > 0) {
      wait = MAX_LEASE_WAIT;
    }
    try {
      return wait.isNegative() ? t : waiters.await(t.gid(), wait).orElse(t);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return t;
    }
  }

  private void all(Request request, Response response, Callback callback) {
    Fields f = Request.extractQueryParameters(request);
    String gid = emptyToNull(f.getValue("gid"));
    long position = longParam(f, "position", 0);
    int limit = limitParam(f);
    String statusText = emptyToNull(f.getValue("status"));
    GlobalStatus status = statusText == null ? null : GlobalStatus.fromWire(statusText);
    if (statusText != null && status == null) {
      throw CohortException.badRequest("unknown status '" + statusText + "'");
    }
    String typeText = emptyToNull(f.getValue("transType"));
    TransType type = typeText == null ? null : TransType.fromWire(typeText);
    if (typeText != null && type == null) {
      throw CohortException.badRequest("unknown transType '" + typeText + "'");
    }
    long from = longParam(f, "createTimeStart", 0);
    long to = longParam(f, "createTimeEnd", 0);
    TransactionStore.Page page = store.list(new TransactionStore.ListQuery(gid, position, limit, status, type,
        from > 0 ? Instant.ofEpochMilli(from) : null, to > 0 ? Instant.ofEpochMilli(to) : null));
    sendJson(response, callback, 200, views.list(page.transactions(), page.nextBeforeId()));
  }

  private void awaitFinal(Request request, Response response, Callback callback) throws InterruptedException {
    Fields f = Request.extractQueryParameters(request);
    String gid = f.getValue("gid");
    if (gid == null || gid.isEmpty()) {
      throw CohortException.badRequest("no gid specified");
    }
    Gids.check(gid);
    Duration timeout = f.getValue("timeout_ms") != null
        ? Duration.ofMillis(longParam(f, "timeout_ms", 0))
        : Duration.ofSeconds(longParam(f, "timeout", 30));
    if (timeout.compareTo(MAX_WAIT) > 0) {
      throw CohortException.badRequest("timeout must be at most " + MAX_WAIT.toSeconds() + " seconds");
    }
    Optional<Transaction> t = waiters.await(gid, timeout);
    if (t.isEmpty()) {
      throw new CohortException(ErrorCode.NOT_FOUND, "no transaction with gid '" + gid + "'");
    }
    ObjectNode body = views.query(t.get());
    if (t.get().isFinal()) {
      sendJson(response, callback, 200, body);
    } else {
      body.put("dtm_result", "ONGOING");
      body.put("message", "not final after " + timeout.toMillis() + " ms");
      sendJson(response, callback, ErrorCode.ONGOING.httpStatus(), body);
    }
  }

  private String gidFrom(Request request, byte[] raw) {
    String gid = param(request, "gid");
    if (gid == null || gid.isEmpty()) {
      if (raw.length > 0) {
        gid = WireRequests.string(requests.parse(raw), "gid");
      }
    }
    if (gid == null || gid.isEmpty()) {
      throw CohortException.badRequest("gid is required");
    }
    return gid;
  }

  private byte[] body(Request request) {
    long length = request.getLength();
    if (length > maxBody) {
      throw new CohortException(ErrorCode.PAYLOAD_TOO_LARGE,
          "request body is " + length + " bytes; the limit is " + maxBody + " (http.max-body)");
    }
    // A chunked body has no length up front: read at most one byte past the limit ourselves, rather than depend on
    // which exception Jetty's bounded readers throw (it changed between Jetty releases: 400 instead of 413).
    if (length == 0) {
      return new byte[0];
    }
    try (InputStream in = Content.Source.asInputStream(request)) {
      // With a known length read exactly that; a chunked body is read to one byte past the limit.
      byte[] b = in.readNBytes((int) (length > 0 ? length : Math.min(maxBody + 1, Integer.MAX_VALUE)));
      if (b.length > maxBody) {
        throw new CohortException(ErrorCode.PAYLOAD_TOO_LARGE,
            "request body is larger than the limit of " + maxBody + " bytes (http.max-body)");
      }
      return b;
    } catch (IOException e) {
      throw CohortException.badRequest("cannot read request body: " + e);
    }
  }

  private static String param(Request request, String name) {
    return Request.extractQueryParameters(request).getValue(name);
  }

  private static long longParam(Fields f, String name, long dflt) {
    String v = f.getValue(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      long n = Long.parseLong(v);
      if (n < 0) {
        throw CohortException.badRequest(name + " must not be negative");
      }
      return n;
    } catch (NumberFormatException e) {
      throw CohortException.badRequest(name + " must be an integer, got '" + (v.length() > 40 ? v.substring(0, 40) : v) + "'");
    }
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private String newGid() {
    StringBuilder sb = new StringBuilder(22);
    for (int i = 0; i < 22; i++) {
      sb.append(BASE62[random.nextInt(62)]);
    }
    return sb.toString();
  }

  private void error(Response response, Callback callback, ErrorCode code, String message) {
    ObjectNode n = json.createObjectNode();
    if (code.dtmResult() != null) {
      n.put("dtm_result", code.dtmResult());
    }
    n.put("message", message == null ? code.name() : message);
    n.put("code", code.name());
    sendJson(response, callback, code.httpStatus(), n);
  }

  private void sendJson(Response response, Callback callback, int status, ObjectNode body) {
    try {
      send(response, callback, status, json.writeValueAsBytes(body));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(Response response, Callback callback, int status, byte[] body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
