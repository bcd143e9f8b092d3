package io.cohort.server.api;

import static io.cohort.server.api.Api.assertError;
import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static io.cohort.server.api.Api.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** query, all, forceStop and resetNextCronTime (reference 1.3). */
class AdminApiTest extends CoordinatorTest {
  // ------------------------------------------------------------------ query

  @Test
  void queryOfAnUnknownGidIs200WithTransactionNull() {
    var a = dtm.get("/api/dtmsvr/query?gid=nobody");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().get("transaction").isNull()).isTrue();
    assertThat(a.json().get("branches").isArray()).isTrue();
    assertThat(a.json().get("branches")).isEmpty();
    assertThat(a.json().has("dtm_result")).isFalse();
  }

  @Test
  void queryWithoutGidIs400() {
    assertError(dtm.get("/api/dtmsvr/query"), 400, "no gid specified");
    assertError(dtm.get("/api/dtmsvr/query?gid="), 400, "no gid specified");
  }

  @Test
  void queryShowsTheTransactionAndItsBranches() {
    String gid = "admin-query";
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c")).payloads("{\"x\":1}").waitResult()));
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/gid").asText()).isEqualTo(gid);
    assertThat(q.at("/transaction/trans_type").asText()).isEqualTo("saga");
    assertThat(q.at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(q.at("/transaction/protocol").asText()).isEqualTo("http");
    assertThat(q.get("branches")).extracting(b -> b.get("url").asText() + " " + b.get("op").asText())
        .containsExactly(rm.url("/c") + " compensate", rm.url("/a") + " action");
  }

  // ------------------------------------------------------------------ all

  /** Five sagas (finished at once: empty URLs) and two prepared msgs, created in this order. */
  private List<String> seed() {
    List<String> gids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String gid = "all-saga-" + i;
      assertSuccess(Api.submit(dtm, Tx.saga(gid).step("", "").waitResult()));
      gids.add(gid);
    }
    for (int i = 0; i < 2; i++) {
      String gid = "all-msg-" + i;
      assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/m")).queryPrepared(rm.url("/qp"))
          .put("timeout_to_fail", 600)));
      gids.add(gid);
    }
    return gids;
  }

  private static List<String> gids(JsonNode page) {
    List<String> out = new ArrayList<>();
    page.get("transactions").forEach(t -> out.add(t.get("gid").asText()));
    return out;
  }

  @Test
  void allPagesNewestFirstWithPositionUntilNextPositionIsEmpty() {
    List<String> created = seed();
    List<String> seen = new ArrayList<>();
    String position = "";
    int pages = 0;
    while (true) {
      var a = dtm.get("/api/dtmsvr/all?limit=3" + (position.isEmpty() ? "" : "&position=" + position));
      assertThat(a.status()).as(a.text()).isEqualTo(200);
      assertThat(a.json().has("dtm_result")).isFalse();
      assertThat(a.json().get("next_position").isTextual()).isTrue();
      List<String> page = gids(a.json());
      assertThat(page.size()).isLessThanOrEqualTo(3);
      seen.addAll(page);
      pages++;
      position = a.json().get("next_position").asText();
      if (position.isEmpty()) {
        break;
      }
      assertThat(page).hasSize(3);
      assertThat(pages).isLessThan(10);
    }
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactlyElementsOf(created.reversed());
  }

  @Test
  void allWithoutLimitReturnsEverythingAndAnEmptyNextPosition() {
    List<String> created = seed();
    var a = dtm.get("/api/dtmsvr/all");
    assertThat(a.status()).isEqualTo(200);
    assertThat(gids(a.json())).containsExactlyElementsOf(created.reversed());
    assertThat(a.json().get("next_position").asText()).isEmpty();
  }

  @Test
  void allFiltersByStatusAndTransType() {
    seed();
    assertThat(gids(dtm.get("/api/dtmsvr/all?status=prepared").json())).containsExactly("all-msg-1", "all-msg-0");
    assertThat(gids(dtm.get("/api/dtmsvr/all?transType=msg").json())).containsExactly("all-msg-1", "all-msg-0");
    assertThat(gids(dtm.get("/api/dtmsvr/all?status=succeed&transType=saga").json()))
        .containsExactly("all-saga-4", "all-saga-3", "all-saga-2", "all-saga-1", "all-saga-0");
    assertThat(gids(dtm.get("/api/dtmsvr/all?status=succeed&transType=msg").json())).isEmpty();
    assertThat(gids(dtm.get("/api/dtmsvr/all?status=failed").json())).isEmpty();
    assertThat(gids(dtm.get("/api/dtmsvr/all?gid=all-saga-2").json())).containsExactly("all-saga-2");
    // filters and pagination together
    var first = dtm.get("/api/dtmsvr/all?transType=saga&limit=2").json();
    assertThat(gids(first)).containsExactly("all-saga-4", "all-saga-3");
    var second = dtm.get("/api/dtmsvr/all?transType=saga&limit=2&position="
        + first.get("next_position").asText()).json();
    assertThat(gids(second)).containsExactly("all-saga-2", "all-saga-1");
  }

  @Test
  void allFiltersByCreateTimeInEpochMillis() {
    seed();
    long future = System.currentTimeMillis() + 3_600_000;
    assertThat(gids(dtm.get("/api/dtmsvr/all?createTimeStart=" + future).json())).isEmpty();
    assertThat(gids(dtm.get("/api/dtmsvr/all?createTimeEnd=" + future).json())).hasSize(7);
    assertThat(gids(dtm.get("/api/dtmsvr/all?createTimeEnd=1000").json())).isEmpty();
  }

  @Test
  void allLimitIsBounded() {
    seed();
    assertThat(gids(dtm.get("/api/dtmsvr/all?limit=1").json())).containsExactly("all-msg-1");
    assertThat(dtm.get("/api/dtmsvr/all?limit=1000").status()).isEqualTo(200);
    assertError(dtm.get("/api/dtmsvr/all?limit=0"), 400, "limit must be between 1 and 1000");
    assertError(dtm.get("/api/dtmsvr/all?limit=1001"), 400, "limit must be between 1 and 1000");
    assertError(dtm.get("/api/dtmsvr/all?limit=-5"), 400, "limit must not be negative");
    assertError(dtm.get("/api/dtmsvr/all?limit=ten"), 400, "limit must be an integer");
    assertError(dtm.get("/api/dtmsvr/all?position=x"), 400, "position must be an integer");
  }

  @Test
  void allRefusesUnknownFilterValues() {
    assertError(dtm.get("/api/dtmsvr/all?status=done"), 400, "unknown status 'done'");
    assertError(dtm.get("/api/dtmsvr/all?transType=2pc"), 400, "unknown transType '2pc'");
  }

  // ------------------------------------------------------------------ forceStop

  @Test
  void forceStopFailsARunningSagaAndNoMoreBranchCallsAreMade() {
    String gid = "admin-force-saga";
    rm.on("/a", Reply.ongoing());
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c"))));
    eventually().until(() -> rm.calls(gid).size() >= 3);
    assertSuccess(dtm.post("/api/dtmsvr/forceStop", "{\"gid\":\"" + gid + "\"}"));
    int atStop = rm.calls(gid).size();
    JsonNode q = Api.query(dtm, gid);
    assertThat(q.at("/transaction/status").asText()).isEqualTo("failed");
    assertThat(q.at("/transaction/rollback_reason").asText()).isEqualTo("stopped by operator (forceStop)");
    assertThat(q.at("/transaction/finish_time").isTextual()).isTrue();
    assertThat(q.at("/transaction/next_cron_time").isMissingNode()).isTrue();
    // A call already on the wire when the stop landed may still arrive; after that, silence (at a 200 ms retry
    // interval, several calls would otherwise have been made), and no compensation is ever started.
    await().during(Duration.ofMillis(1500)).atMost(Api.PATIENCE).until(() -> rm.calls(gid).size() <= atStop + 1);
    assertThat(rm.calls(gid)).allSatisfy(c -> assertThat(Api.brief(c)).isEqualTo("/a GET 01 action"));
    assertThat(dtm.status(gid)).isEqualTo("failed");
  }

  @Test
  void forceStopFailsAPreparedMsgAndItIsNeverCheckedBack() {
    String gid = "admin-force-msg";
    assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/m")).queryPrepared(rm.url("/qp"))
        .put("timeout_to_fail", 1)));
    assertSuccess(dtm.post("/api/dtmsvr/forceStop", "{\"gid\":\"" + gid + "\"}"));
    assertThat(dtm.status(gid)).isEqualTo("failed");
    await().during(Duration.ofMillis(1800)).atMost(Api.PATIENCE).until(() -> rm.calls(gid).isEmpty());
    assertFailure(Api.submit(dtm, Tx.msg(gid).step(rm.url("/m"))), "current status 'failed', cannot submit");
  }

  @Test
  void forceStopOfAFinishedTransactionIs409() {
    assertSuccess(Api.submit(dtm, Tx.saga("admin-force-done").step("", "").waitResult()));
    assertFailure(dtm.post("/api/dtmsvr/forceStop", "{\"gid\":\"admin-force-done\"}"),
        "current status 'succeed', cannot force stop");
    assertThat(dtm.status("admin-force-done")).isEqualTo("succeed");
  }

  @Test
  void forceStopTakesTheGidFromTheQueryStringToo() {
    rm.on("/a", Reply.ongoing());
    assertSuccess(Api.submit(dtm, Tx.saga("admin-force-qs").step(rm.url("/a"), rm.url("/c"))));
    assertSuccess(dtm.post("/api/dtmsvr/forceStop?gid=admin-force-qs", ""));
    assertThat(dtm.status("admin-force-qs")).isEqualTo("failed");
  }

  @Test
  void forceStopOfAnUnknownOrMissingGid() {
    assertError(dtm.post("/api/dtmsvr/forceStop", "{\"gid\":\"nobody\"}"), 404, "no transaction with gid 'nobody'");
    assertError(dtm.post("/api/dtmsvr/forceStop", "{}"), 400, "gid is required");
    assertError(dtm.post("/api/dtmsvr/forceStop", ""), 400, "gid is required");
  }

  // ------------------------------------------------------------------ resetNextCronTime

  @Test
  void resetNextCronTimeRetriesABackingOffTransactionAtOnce() {
    String gid = "admin-reset";
    rm.on("/a", c -> rm.count(gid, "01", "action") == 1 ? Reply.error() : Reply.ok());
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c")).put("retry_interval", 600)));
    // wait until the failed round has recorded its backoff (about ten minutes ahead)
    eventually().until(() -> {
      JsonNode t = dtm.query(gid);
      return t.has("next_cron_time") && java.time.OffsetDateTime.parse(t.get("next_cron_time").asText())
          .toInstant().isAfter(java.time.Instant.now().plusSeconds(300));
    });
    assertThat(rm.calls(gid)).hasSize(1);
    long t0 = System.nanoTime();
    assertSuccess(dtm.post("/api/dtmsvr/resetNextCronTime", "{\"gid\":\"" + gid + "\"}"));
    awaitStatus(dtm, gid, "succeed");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a GET 01 action", "/a GET 01 action");
  }

  @Test
  void resetNextCronTimeOfAFinishedUnknownOrMissingGid() {
    assertSuccess(Api.submit(dtm, Tx.saga("admin-reset-done").step("", "").waitResult()));
    assertFailure(dtm.post("/api/dtmsvr/resetNextCronTime", "{\"gid\":\"admin-reset-done\"}"), "current status 'succeed'");
    assertError(dtm.post("/api/dtmsvr/resetNextCronTime", "{\"gid\":\"nobody\"}"), 404, "no transaction");
    assertError(dtm.post("/api/dtmsvr/resetNextCronTime", "{}"), 400, "gid is required");
  }
}
