package io.cohort.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.core.engine.NewTransaction;
import io.cohort.core.engine.RegisterBranch;
import io.cohort.core.model.TransOptions;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.TransType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes DTM request bodies. Lenient exactly where DTM clients need it (reference section 1.2 and 10): unknown fields
 * ignored, duplicate keys allowed (last wins), {@code null} for any field means "not given", payloads as JSON
 * strings, legacy {@code steps[].data}. Strict everywhere else: a value of the wrong type is a 400 naming the field.
 */
final class WireRequests {
  private final ObjectMapper json;

  WireRequests(ObjectMapper json) {
    this.json = json;
  }

  JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw CohortException.badRequest("request body is empty; a JSON object is required");
    }
    try {
      JsonNode n = json.readTree(body);
      if (n == null || !n.isObject()) {
        throw CohortException.badRequest("request body must be a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw CohortException.badRequest("malformed JSON: " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw CohortException.badRequest("cannot read request body: " + e.getMessage());
    }
  }

  /** A prepare or submit body. */
  Decoded transaction(JsonNode body) {
    return transaction(body, null);
  }

  /**
   * A prepare or submit body, from a request that carried the W3C {@code traceparent} header {@code traceparent}
   * ({@code null} if none): a well-formed one is added to the transaction's branch headers unless the body sets its
   * own, so every branch call of the transaction, retries included, continues the caller's trace. A malformed one is
   * ignored, as the W3C spec asks.
   */
  Decoded transaction(JsonNode body, String traceparent) {
    String gid = string(body, "gid");
    TransType type = transType(body);
    List<NewTransaction.Step> steps = new ArrayList<>();
    List<byte[]> legacyData = new ArrayList<>();
    boolean anyLegacy = false;
    JsonNode stepsNode = body.get("steps");
    if (stepsNode != null && !stepsNode.isNull()) {
      if (!stepsNode.isArray()) {
        throw CohortException.badRequest("steps must be an array of objects");
      }
      for (int i = 0; i < stepsNode.size(); i++) {
        JsonNode s = stepsNode.get(i);
        if (s == null || !s.isObject()) {
          throw CohortException.badRequest("steps[" + i + "] must be an object like {\"action\":url,\"compensate\":url}");
        }
        steps.add(new NewTransaction.Step(string(s, "action", "steps[" + i + "].action"),
            string(s, "compensate", "steps[" + i + "].compensate")));
        JsonNode data = s.get("data");
        if (data != null && !data.isNull()) {
          anyLegacy = true;
          legacyData.add(payload(data, "steps[" + i + "].data"));
        } else {
          legacyData.add(new byte[0]);
        }
      }
    }
    List<byte[]> payloads = new ArrayList<>();
    JsonNode payloadsNode = body.get("payloads");
    if (payloadsNode != null && !payloadsNode.isNull()) {
      if (!payloadsNode.isArray()) {
        throw CohortException.badRequest("payloads must be an array of strings (one JSON text per step)");
      }
      for (int i = 0; i < payloadsNode.size(); i++) {
        JsonNode p = payloadsNode.get(i);
        payloads.add(p == null || p.isNull() ? new byte[0] : payload(p, "payloads[" + i + "]"));
      }
    } else if (anyLegacy) {
      payloads = legacyData;
    }
    String customData = customData(body);
    JsonNode custom = parseCustomData(customData);
    boolean concurrentSaga = false;
    Map<Integer, List<Integer>> orders = Map.of();
    Duration delay = null;
    String workflowName = null;
    String workflowData = null;
    if (custom != null) {
      if (type == TransType.WORKFLOW) {
        workflowName = string(custom, "name", "custom_data.name");
        workflowData = base64(custom, "data", "custom_data.data");
      } else if (type == TransType.SAGA) {
        concurrentSaga = bool(custom, "concurrent", "custom_data.concurrent");
        orders = orders(custom.get("orders"));
      } else if (type == TransType.MSG) {
        Long d = integer(custom, "delay", "custom_data.delay");
        delay = d == null ? null : Duration.ofSeconds(d);
      }
    }
    boolean concurrent = type == TransType.SAGA ? concurrentSaga : bool(body, "concurrent", "concurrent");
    TransOptions options = new TransOptions(
        seconds(body, "timeout_to_fail"),
        seconds(body, "request_timeout"),
        seconds(body, "retry_interval"),
        intValue(body, "retry_limit"),
        withTraceparent(stringMap(body, "branch_headers"), traceparent),
        concurrent,
        orders,
        delay);
    if (type == TransType.WORKFLOW) {
      options = options.withWorkflow(workflowName, workflowData);
    }
    NewTransaction cmd = new NewTransaction(gid, type, steps, payloads, customData, string(body, "query_prepared"),
        string(body, "protocol"), options);
    return new Decoded(cmd, bool(body, "wait_result", "wait_result"), stringMap(body, "req_extra"));
  }

  /** A decoded prepare or submit; {@code reqExtra} carries a workflow submit's status, result and rollback reason. */
  record Decoded(NewTransaction command, boolean waitResult, Map<String, String> reqExtra) {}

  /**
   * A {@code registerBranch} body: a flat object of strings (DTM decodes it into a string map). Fields older clients
   * add are accepted and ignored: {@code status} and {@code try} on a tcc branch (the Python and early Go clients),
   * and {@code branch_type}, the old name of {@code op}.
   */
  RegisterBranch registerBranch(JsonNode body) {
    String op = string(body, "op");
    if (op.isEmpty()) {
      op = string(body, "branch_type");
    }
    return new RegisterBranch(string(body, "gid"), transType(body), string(body, "branch_id"), op,
        string(body, "status"), string(body, "data").getBytes(StandardCharsets.UTF_8), string(body, "confirm"),
        string(body, "cancel"), string(body, "url"));
  }

  /** A string field holding base64 (Go encodes {@code []byte} that way); validated, kept as text. */
  private static String base64(JsonNode obj, String field, String name) {
    String v = string(obj, field, name);
    if (v.isEmpty()) {
      return null;
    }
    try {
      java.util.Base64.getDecoder().decode(v);
    } catch (IllegalArgumentException e) {
      throw CohortException.badRequest(name + " must be base64 text: " + e.getMessage());
    }
    return v;
  }

  TransType transType(JsonNode body) {
    String t = string(body, "trans_type");
    if (t.isEmpty()) {
      return null;
    }
    TransType type = TransType.fromWire(t);
    if (type == null) {
      throw CohortException.badRequest("unknown trans_type '" + abbreviate(t) + "'; expected saga, msg, tcc, xa or workflow");
    }
    return type;
  }

  static String string(JsonNode obj, String field) {
    return string(obj, field, field);
  }

  static String string(JsonNode obj, String field, String name) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return "";
    }
    if (!n.isTextual()) {
      throw CohortException.badRequest(name + " must be a string, got " + kind(n));
    }
    return n.asText();
  }

  private static boolean bool(JsonNode obj, String field, String name) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isBoolean()) {
      throw CohortException.badRequest(name + " must be true or false, got " + kind(n));
    }
    return n.asBoolean();
  }

  private static Long integer(JsonNode obj, String field, String name) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw CohortException.badRequest(name + " must be an integer, got " + kind(n));
    }
    long v = n.asLong();
    if (v < 0) {
      throw CohortException.badRequest(name + " must not be negative");
    }
    return v;
  }

  private static int intValue(JsonNode obj, String field) {
    Long v = integer(obj, field, field);
    if (v != null && v > Integer.MAX_VALUE) {
      throw CohortException.badRequest(field + " is too large");
    }
    return v == null ? 0 : v.intValue();
  }

  /** An integer number of seconds; 0 or absent means "use the default". */
  private static Duration seconds(JsonNode obj, String field) {
    Long v = integer(obj, field, field + " (seconds)");
    if (v != null && v > 100L * 365 * 24 * 3600) {
      throw CohortException.badRequest(field + " is too large");
    }
    return v == null || v == 0 ? null : Duration.ofSeconds(v);
  }

  private static final java.util.regex.Pattern TRACEPARENT =
      java.util.regex.Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[^\\p{Cntrl}]*)?");

  static Map<String, String> withTraceparent(Map<String, String> headers, String traceparent) {
    if (traceparent == null || !TRACEPARENT.matcher(traceparent.trim()).matches()
        || headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("traceparent"))) {
      return headers;
    }
    Map<String, String> out = new LinkedHashMap<>(headers);
    out.put("traceparent", traceparent.trim());
    return out;
  }

  static Map<String, String> stringMap(JsonNode obj, String field) {
    JsonNode n = obj.get(field);
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw CohortException.badRequest(field + " must be an object of string values");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      var e = it.next();
      if (!e.getValue().isTextual()) {
        throw CohortException.badRequest(field + "." + e.getKey() + " must be a string");
      }
      if (e.getKey().isEmpty() || hasControl(e.getKey()) || hasControl(e.getValue().asText())) {
        throw CohortException.badRequest(field + " has an empty header name or a control character");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  /** A payload: a JSON string holding the body (DTM); an object or array is taken as the body itself. */
  private byte[] payload(JsonNode n, String name) {
    if (n.isTextual()) {
      return n.asText().getBytes(StandardCharsets.UTF_8);
    }
    if (n.isObject() || n.isArray()) {
      try {
        return json.writeValueAsBytes(n);
      } catch (JsonProcessingException e) {
        throw CohortException.badRequest(name + " cannot be serialized: " + e.getOriginalMessage());
      }
    }
    throw CohortException.badRequest(name + " must be a string holding the request body, got " + kind(n));
  }

  private static String customData(JsonNode body) {
    JsonNode n = body.get("custom_data");
    if (n == null || n.isNull()) {
      return "";
    }
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.isObject()) {
      return n.toString();
    }
    throw CohortException.badRequest("custom_data must be a string holding JSON, got " + kind(n));
  }

  private JsonNode parseCustomData(String customData) {
    if (customData.isBlank()) {
      return null;
    }
    try {
      JsonNode n = json.readTree(customData);
      if (n == null || n.isNull()) {
        return null;
      }
      if (!n.isObject()) {
        throw CohortException.badRequest("custom_data must hold a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw CohortException.badRequest("custom_data is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static Map<Integer, List<Integer>> orders(JsonNode n) {
    if (n == null || n.isNull()) {
      return Map.of();
    }
    if (!n.isObject()) {
      throw CohortException.badRequest("custom_data.orders must be an object like {\"2\":[0,1]}");
    }
    Map<Integer, List<Integer>> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
      var e = it.next();
      int step;
      try {
        step = Integer.parseInt(e.getKey());
      } catch (NumberFormatException ex) {
        throw CohortException.badRequest("custom_data.orders key '" + abbreviate(e.getKey()) + "' is not a step index");
      }
      JsonNode deps = e.getValue();
      if (!deps.isArray()) {
        throw CohortException.badRequest("custom_data.orders[" + step + "] must be an array of step indices");
      }
      List<Integer> list = new ArrayList<>();
      for (JsonNode d : deps) {
        if (!d.isIntegralNumber() || !d.canConvertToInt()) {
          throw CohortException.badRequest("custom_data.orders[" + step + "] must hold integer step indices");
        }
        list.add(d.asInt());
      }
      out.put(step, List.copyOf(list));
    }
    return out;
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static String kind(JsonNode n) {
    if (n.isTextual()) {
      return "a string";
    }
    if (n.isNumber()) {
      return "a number";
    }
    if (n.isBoolean()) {
      return "a boolean";
    }
    if (n.isArray()) {
      return "an array";
    }
    if (n.isObject()) {
      return "an object";
    }
    return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
