package io.cohort.server.api;

import java.nio.charset.StandardCharsets;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds transaction request bodies the way DTM SDKs send them ({@code steps} as maps of URLs, {@code payloads} as
 * JSON strings, {@code custom_data} as JSON text), so tests read like the client code they stand in for.
 */
final class Tx {
  static final ObjectMapper JSON = new ObjectMapper();
  private final ObjectNode body = JSON.createObjectNode();

  private Tx(String gid, String type) {
    body.put("gid", gid);
    body.put("trans_type", type);
    body.putArray("steps");
  }

  static Tx saga(String gid) {
    return new Tx(gid, "saga");
  }

  static Tx msg(String gid) {
    return new Tx(gid, "msg");
  }

  /** A tcc or xa global transaction (prepare, submit, abort bodies carry no steps). */
  static Tx of(String type, String gid) {
    Tx t = new Tx(gid, type);
    t.body.remove("steps");
    return t;
  }

  /** A workflow as the Go client starts it: custom_data {"name":..,"data":<base64 input>}, query_prepared = callback. */
  static Tx workflow(String gid, String name, String input, String callback) {
    Tx t = of("workflow", gid);
    ObjectNode custom = JSON.createObjectNode().put("name", name)
        .put("data", java.util.Base64.getEncoder().encodeToString(input.getBytes(StandardCharsets.UTF_8)));
    t.body.put("custom_data", custom.toString());
    t.body.put("query_prepared", callback);
    return t;
  }

  /** A registerBranch body: a flat object of strings, as DTM SDKs send it. */
  static String branch(String... keyValues) {
    ObjectNode n = JSON.createObjectNode();
    for (int i = 0; i < keyValues.length; i += 2) {
      n.put(keyValues[i], keyValues[i + 1]);
    }
    return n.toString();
  }

  /** A saga step. */
  Tx step(String action, String compensate) {
    ((ArrayNode) body.get("steps")).addObject().put("action", action).put("compensate", compensate);
    return this;
  }

  /** A msg step. */
  Tx step(String action) {
    ((ArrayNode) body.get("steps")).addObject().put("action", action);
    return this;
  }

  /** One payload per step, each the JSON text of the request body (an empty string means no body). */
  Tx payloads(String... payloads) {
    ArrayNode a = body.putArray("payloads");
    for (String p : payloads) {
      a.add(p);
    }
    return this;
  }

  Tx customData(String json) {
    body.put("custom_data", json);
    return this;
  }

  Tx queryPrepared(String url) {
    body.put("query_prepared", url);
    return this;
  }

  Tx waitResult() {
    body.put("wait_result", true);
    return this;
  }

  Tx put(String field, long value) {
    body.put(field, value);
    return this;
  }

  Tx put(String field, boolean value) {
    body.put(field, value);
    return this;
  }

  Tx put(String field, String value) {
    body.put(field, value);
    return this;
  }

  Tx set(String field, JsonNode value) {
    body.set(field, value);
    return this;
  }

  Tx header(String name, String value) {
    JsonNode h = body.get("branch_headers");
    ObjectNode headers = h instanceof ObjectNode o ? o : body.putObject("branch_headers");
    headers.put(name, value);
    return this;
  }

  Tx remove(String field) {
    body.remove(field);
    return this;
  }

  ObjectNode node() {
    return body;
  }

  String json() {
    return body.toString();
  }

  @Override
  public String toString() {
    return json();
  }
}
