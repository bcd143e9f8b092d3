package io.cohort.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one transaction of the load is: the body of one {@code POST /api/dtmsvr/submit} (reference section 1.3).
 * Both scenarios are a 2-step saga with {@code wait_result=true}, so the coordinator answers only after the round
 * ended, and the answer is {@code 200 {"dtm_result":"SUCCESS"}} exactly when the saga succeeded.
 */
enum Scenario {
  /** Empty branch URLs: every branch succeeds without a call, so only the coordinator's own cost is measured. */
  SAGA_EMPTY("saga-empty", "2-step saga, empty branch URLs (coordinator cost only), wait_result=true"),
  /** Four real URLs (action and compensate per step) on the bench's own loopback participant server. */
  SAGA_HTTP("saga-http", "2-step saga, 4 branch URLs on the bench's loopback participants, wait_result=true");

  /** Small JSON payloads, one per step, as a client would send them (each a JSON string). */
  static final List<String> PAYLOADS = List.of("{\"amount\":30,\"user\":1}", "{\"amount\":30,\"user\":2}");
  private static final String GID_MARK = "@@gid@@";

  private final String wire;
  private final String description;

  Scenario(String wire, String description) {
    this.wire = wire;
    this.description = description;
  }

  String wire() {
    return wire;
  }

  String description() {
    return description;
  }

  boolean needsParticipants() {
    return this == SAGA_HTTP;
  }

  static Scenario fromWire(String name) {
    for (Scenario s : values()) {
      if (s.wire.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scenario '" + name + "'; use saga-empty or saga-http");
  }

  /**
   * The submit body for this scenario.
   *
   * @param participantBase the participants' base URL (saga-http), e.g. {@code http://127.0.0.1:40123}; ignored for
   *     saga-empty
   */
  Body body(String participantBase, ObjectMapper json) {
    List<Map<String, String>> steps = switch (this) {
      case SAGA_EMPTY -> List.of(step("", ""), step("", ""));
      case SAGA_HTTP -> List.of(
          step(participantBase + "/saga/step1/action", participantBase + "/saga/step1/compensate"),
          step(participantBase + "/saga/step2/action", participantBase + "/saga/step2/compensate"));
    };
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("gid", GID_MARK);
    request.put("trans_type", "saga");
    request.put("wait_result", true);
    request.put("steps", steps);
    request.put("payloads", PAYLOADS);
    String text;
    try {
      text = json.writeValueAsString(request);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    int at = text.indexOf(GID_MARK);
    return new Body(text.substring(0, at).getBytes(StandardCharsets.UTF_8),
        text.substring(at + GID_MARK.length()).getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> step(String action, String compensate) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("action", action);
    m.put("compensate", compensate);
    return m;
  }

  /** The body split around the gid, so a request costs one array copy (gids are plain ASCII, no escaping). */
  record Body(byte[] prefix, byte[] suffix) {
    byte[] forGid(String gid) {
      int n = gid.length();
      byte[] out = new byte[prefix.length + n + suffix.length];
      System.arraycopy(prefix, 0, out, 0, prefix.length);
      for (int i = 0; i < n; i++) {
        out[prefix.length + i] = (byte) gid.charAt(i);
      }
      System.arraycopy(suffix, 0, out, prefix.length + n, suffix.length);
      return out;
    }
  }
}
