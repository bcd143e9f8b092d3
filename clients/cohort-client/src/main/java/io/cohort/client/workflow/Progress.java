package io.cohort.client.workflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.client.CoordinatorException;
import io.cohort.client.PayloadCodec;
import io.cohort.client.internal.HttpCoordinator;
import io.cohort.protocol.GlobalStatus;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A workflow as the coordinator's {@code prepareWorkflow} answer shows it (reference section 1.3): its status, its
 * result (base64) or rollback reason, its name and input (from {@code custom_data}) and the recorded steps
 * ({@code progresses[]}: branch id, op, status, {@code bin_data} in base64). Read leniently, like DTM's Go client:
 * unknown fields are ignored and empty fields may be left out.
 *
 * @param name the recorded name, or {@code null} when the answer carries no readable {@code custom_data}
 * @param input the recorded input, or {@code null} when the answer carries no readable {@code custom_data}
 * @param steps the recorded steps by {@link #key}
 */
record Progress(GlobalStatus status, byte[] result, String rollbackReason, String name, byte[] input,
    Map<String, Recorded> steps) {

  /** One recorded step: its status word ({@code succeed}, {@code failed}, {@code prepared}) and its data as text. */
  record Recorded(String status, String data) {
    boolean succeeded() {
      return "succeed".equals(status);
    }

    boolean failed() {
      return "failed".equals(status);
    }

    /** Whether the step's outcome is known; a {@code prepared} row (never written by this SDK) is not. */
    boolean settled() {
      return succeeded() || failed();
    }
  }

  static String key(String branchId, String op) {
    return branchId + "/" + op;
  }

  Recorded get(String branchId, String op) {
    return steps.get(key(branchId, op));
  }

  boolean isFinal() {
    return status.isFinal();
  }

  WorkflowResult outcome(String gid, PayloadCodec codec) {
    if (status == GlobalStatus.SUCCEED) {
      return new WorkflowResult(gid, status, result, "", codec);
    }
    return new WorkflowResult(gid, status, new byte[0], rollbackReason.isEmpty() ? "workflow failed" : rollbackReason,
        codec);
  }

  /**
   * Refuses a gid that already holds another workflow: another name, or another input. Inputs are equal when their
   * bytes are, or when both are JSON texts of equal value (so a map's key order does not matter).
   */
  void checkSame(String gid, String wantedName, byte[] wantedInput) {
    if (name == null) {
      return;
    }
    if (!name.equals(wantedName)) {
      throw new IllegalArgumentException("gid " + gid + " already holds workflow '" + name + "', not '" + wantedName
          + "'; a gid names one run of one workflow");
    }
    if (!sameInput(input, wantedInput)) {
      throw new IllegalArgumentException("gid " + gid + " already holds workflow '" + name
          + "' with another input; a gid names one run of one workflow (use a new gid for new input)");
    }
  }

  private static boolean sameInput(byte[] a, byte[] b) {
    if (Arrays.equals(a, b)) {
      return true;
    }
    if (a.length == 0 || b.length == 0) {
      return false;
    }
    try {
      return HttpCoordinator.JSON.readTree(a).equals(HttpCoordinator.JSON.readTree(b));
    } catch (java.io.IOException | RuntimeException e) {
      return false;
    }
  }

  /** Parses a {@code prepareWorkflow} answer. */
  static Progress parse(String json) {
    JsonNode root;
    try {
      root = HttpCoordinator.JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw malformed("is not JSON: " + e.getOriginalMessage());
    }
    JsonNode t = root == null ? null : root.get("transaction");
    if (t == null || !t.isObject()) {
      throw malformed("has no transaction");
    }
    GlobalStatus status = GlobalStatus.fromWire(t.path("status").asText(""));
    if (status == null) {
      throw malformed("has an unknown status '" + t.path("status").asText("") + "'");
    }
    byte[] result = base64(t.path("result").asText(""), "transaction.result");
    String name = null;
    byte[] input = null;
    String custom = t.path("custom_data").asText("");
    if (!custom.isEmpty()) {
      try {
        JsonNode c = HttpCoordinator.JSON.readTree(custom);
        if (c != null && c.path("name").isTextual()) {
          name = c.path("name").asText();
          input = base64(c.path("data").asText(""), "custom_data.data");
        }
      } catch (JsonProcessingException e) {
        // not ours to refuse: the coordinator validated it when the workflow was created
      }
    }
    Map<String, Recorded> steps = new LinkedHashMap<>();
    for (JsonNode p : root.path("progresses")) {
      byte[] data = base64(p.path("bin_data").asText(""), "progresses[].bin_data");
      steps.put(key(p.path("branch_id").asText(""), p.path("op").asText("")),
          new Recorded(p.path("status").asText(""), new String(data, StandardCharsets.UTF_8)));
    }
    return new Progress(status, result, t.path("rollback_reason").asText(""), name, input, Map.copyOf(steps));
  }

  private static byte[] base64(String text, String field) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw malformed("has a " + field + " that is not base64");
    }
  }

  private static CoordinatorException malformed(String what) {
    return new CoordinatorException("prepareWorkflow", 200, "the coordinator's answer " + what, null);
  }
}
