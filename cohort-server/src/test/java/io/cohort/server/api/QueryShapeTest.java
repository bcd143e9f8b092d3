package io.cohort.server.api;

import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Reply;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The shape of {@code query} and {@code all} output (reference 1.3): snake_case names, RFC 3339 times, {@code bin_data}
 * in base64, and never a JSON {@code null} inside a transaction or a branch (the C# client declares non-nullable
 * fields).
 */
class QueryShapeTest extends CoordinatorTest {
  static final Pattern SNAKE = Pattern.compile("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  static final Pattern RFC3339 =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})");
  static final Set<String> TIMES = Set.of("create_time", "update_time", "finish_time", "rollback_time",
      "next_cron_time");

  /** Checks one transaction or branch object: names, no nulls anywhere inside, times, and returns it. */
  static JsonNode checkObject(JsonNode n, String what) {
    assertThat(n.isObject()).as(what).isTrue();
    n.properties().forEach(e -> {
      String where = what + "." + e.getKey();
      assertThat(e.getKey()).as(where).matches(SNAKE);
      assertNoNull(e.getValue(), where);
      if (TIMES.contains(e.getKey())) {
        assertThat(e.getValue().isTextual()).as(where).isTrue();
        assertThat(e.getValue().asText()).as(where).matches(RFC3339);
        assertThat(OffsetDateTime.parse(e.getValue().asText()).toInstant()).as(where)
            .isBetween(Instant.now().minusSeconds(600), Instant.now().plusSeconds(3600));
      }
    });
    return n;
  }

  static void assertNoNull(JsonNode n, String where) {
    assertThat(n.isNull()).as(where + " is null").isFalse();
    if (n.isContainerNode()) {
      List<Map.Entry<String, JsonNode>> children = new ArrayList<>();
      if (n.isObject()) {
        n.properties().forEach(children::add);
      } else {
        for (int i = 0; i < n.size(); i++) {
          children.add(Map.entry("[" + i + "]", n.get(i)));
        }
      }
      children.forEach(c -> assertNoNull(c.getValue(), where + "." + c.getKey()));
    }
  }

  static void checkQuery(JsonNode q, String gid) {
    assertThat(q.properties()).extracting(Map.Entry::getKey).containsExactlyInAnyOrder("transaction", "branches");
    JsonNode t = checkObject(q.get("transaction"), gid);
    for (String f : List.of("id", "create_time", "update_time", "gid", "trans_type", "status", "protocol")) {
      assertThat(t.has(f)).as(gid + " has " + f).isTrue();
    }
    assertThat(t.get("id").isIntegralNumber()).isTrue();
    assertThat(t.get("gid").asText()).isEqualTo(gid);
    for (int i = 0; i < q.get("branches").size(); i++) {
      JsonNode b = checkObject(q.get("branches").get(i), gid + ".branches[" + i + "]");
      for (String f : List.of("id", "create_time", "update_time", "gid", "branch_id", "op", "status")) {
        assertThat(b.has(f)).as(gid + ".branches[" + i + "] has " + f).isTrue();
      }
      assertThat(b.get("gid").asText()).isEqualTo(gid);
      assertThat(b.get("branch_id").isTextual()).isTrue();
    }
  }

  @Test
  void aFailedSagaWithEveryOptionSet() throws Exception {
    String gid = "shape-saga";
    rm.on("/a2", Reply.failure());
    String p1 = "{\"amount\":30,\"note\":\"Zoë\"}";
    Api.submit(dtm, Tx.saga(gid).step(rm.url("/a1"), rm.url("/c1")).step(rm.url("/a2"), rm.url("/c2"))
        .step("", "").payloads(p1, "", "[1]")
        .customData("{\"concurrent\":false}").put("timeout_to_fail", 60).put("request_timeout", 2)
        .put("retry_interval", 1).put("retry_limit", 5).header("X-Tenant", "t1").waitResult());
    JsonNode q = awaitStatus(dtm, gid, "failed");
    checkQuery(q, gid);
    JsonNode t = q.get("transaction");
    assertThat(t.get("trans_type").asText()).isEqualTo("saga");
    assertThat(t.get("protocol").asText()).isEqualTo("http");
    assertThat(t.get("rollback_reason").asText()).startsWith("branch 02 action failed");
    assertThat(t.has("finish_time")).isTrue();
    assertThat(t.has("rollback_time")).isTrue();
    assertThat(t.has("next_cron_time")).isFalse(); // final: nothing is due
    assertThat(t.get("custom_data").asText()).isEqualTo("{\"concurrent\":false}");
    // options as DTM stores them (a JSON text) and flattened
    JsonNode options = Tx.JSON.readTree(t.get("options").asText());
    assertThat(options.get("timeout_to_fail").asInt()).isEqualTo(60);
    assertThat(t.get("timeout_to_fail").asInt()).isEqualTo(60);
    assertThat(t.get("request_timeout").asInt()).isEqualTo(2);
    assertThat(t.get("retry_interval").asInt()).isEqualTo(1);
    assertThat(t.get("retry_limit").asInt()).isEqualTo(5);
    assertThat(t.at("/branch_headers/X-Tenant").asText()).isEqualTo("t1");
    assertThat(t.get("next_cron_interval").isIntegralNumber()).isTrue();

    JsonNode branches = q.get("branches");
    assertThat(branches).hasSize(6);
    assertThat(branches).extracting(b -> b.get("id").asLong()).doesNotHaveDuplicates();
    // bin_data is the payload in base64, on both rows of the step; absent where the payload is empty
    assertThat(new String(Base64.getDecoder().decode(branches.get(0).get("bin_data").asText()), StandardCharsets.UTF_8))
        .isEqualTo(p1);
    assertThat(new String(Base64.getDecoder().decode(branches.get(1).get("bin_data").asText()), StandardCharsets.UTF_8))
        .isEqualTo(p1);
    assertThat(branches.get(2).has("bin_data")).isFalse();
    assertThat(branches.get(3).has("bin_data")).isFalse();
    assertThat(new String(Base64.getDecoder().decode(branches.get(5).get("bin_data").asText()), StandardCharsets.UTF_8))
        .isEqualTo("[1]");
    assertThat(branches.get(0).get("url").asText()).isEqualTo(rm.url("/c1"));
    assertThat(branches.get(4).has("url")).isFalse(); // empty URL: omitted, not null
    assertThat(branches.get(1).has("finish_time")).isTrue(); // succeeded action
    assertThat(branches.get(4).has("finish_time")).isFalse(); // never ran
    assertThat(branches.get(3).get("status").asText()).isEqualTo("failed");
  }

  @Test
  void aPreparedMsg() {
    String gid = "shape-msg";
    assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/m")).payloads("{\"k\":\"v\"}")
        .queryPrepared(rm.url("/qp")).customData("{\"delay\":5}").put("timeout_to_fail", 600)));
    JsonNode q = Api.query(dtm, gid);
    checkQuery(q, gid);
    JsonNode t = q.get("transaction");
    assertThat(t.get("status").asText()).isEqualTo("prepared");
    assertThat(t.get("trans_type").asText()).isEqualTo("msg");
    assertThat(t.get("query_prepared").asText()).isEqualTo(rm.url("/qp"));
    assertThat(t.has("next_cron_time")).isTrue();
    assertThat(t.has("finish_time")).isFalse();
    assertThat(t.has("rollback_reason")).isFalse();
    assertThat(q.get("branches")).hasSize(1);
    JsonNode b = q.get("branches").get(0);
    assertThat(b.get("branch_id").asText()).isEqualTo("01");
    assertThat(b.get("op").asText()).isEqualTo("action");
    assertThat(b.get("status").asText()).isEqualTo("prepared");
    assertThat(new String(Base64.getDecoder().decode(b.get("bin_data").asText()), StandardCharsets.UTF_8))
        .isEqualTo("{\"k\":\"v\"}");
  }

  @Test
  void aRunningSagaShowsAttemptsAndLastErrorWithoutNulls() {
    String gid = "shape-running";
    rm.on("/a", Reply.error());
    Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c")));
    Api.eventually().until(() -> rm.calls(gid).size() >= 2);
    JsonNode q = Api.query(dtm, gid);
    checkQuery(q, gid);
    JsonNode action = q.get("branches").get(1);
    assertThat(action.get("attempts").asInt()).isGreaterThanOrEqualTo(1);
    assertThat(action.get("last_error").asText()).contains("HTTP 500");
    assertThat(q.at("/transaction/status").asText()).isEqualTo("submitted");
  }

  @Test
  void allUsesTheSameTransactionShape() {
    rm.on("/a", Reply.failure());
    Api.submit(dtm, Tx.saga("shape-all-1").step(rm.url("/a"), rm.url("/c")).header("X-A", "b").waitResult());
    assertSuccess(Api.prepare(dtm, Tx.msg("shape-all-2").step(rm.url("/m")).queryPrepared(rm.url("/qp"))
        .put("timeout_to_fail", 600)));
    assertSuccess(Api.submit(dtm, Tx.saga("shape-all-3").step("", "").waitResult()));
    var a = dtm.get("/api/dtmsvr/all");
    assertThat(a.json().properties()).extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("transactions", "next_position");
    JsonNode list = a.json().get("transactions");
    assertThat(list).hasSize(3);
    for (JsonNode t : list) {
      checkObject(t, t.get("gid").asText());
      assertThat(t).isEqualTo(dtm.query(t.get("gid").asText()));
    }
  }
}
