package io.cohort.server.api;

import static io.cohort.server.api.Api.assertError;
import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.awaitStatus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Reply;
import io.cohort.server.support.TestCoordinator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same API on the embedded durable store (the production default), plus what only a durable store can show:
 * transactions outlive the coordinator process and are carried on by the next one.
 */
class EmbeddedStoreApiTest {
  @TempDir
  Path dir;

  TestCoordinator dtm;
  Participant rm;

  @BeforeEach
  void start() throws Exception {
    dtm = TestCoordinator.embedded(dir, Map.of());
    rm = new Participant();
  }

  @AfterEach
  void stop() {
    if (dtm != null) {
      dtm.close();
    }
    rm.close();
  }

  private void restart() throws Exception {
    dtm.close();
    dtm = null;
    dtm = TestCoordinator.embedded(dir, Map.of());
  }

  @Test
  void sagaSucceedsAndFailsWithCompensationAsInMemory() {
    assertSuccess(Api.submit(dtm, Tx.saga("emb-ok").step(rm.url("/a1"), rm.url("/c1")).step(rm.url("/a2"), rm.url("/c2"))
        .payloads("{\"n\":1}", "").waitResult()));
    assertThat(rm.calls("emb-ok")).extracting(Api::full).containsExactly(
        "/a1 POST gid=emb-ok trans_type=saga branch_id=01 op=action body={\"n\":1}",
        "/a2 GET gid=emb-ok trans_type=saga branch_id=02 op=action body=");

    rm.on("/f2", Reply.failure());
    var a = Api.submit(dtm, Tx.saga("emb-fail").step(rm.url("/f1"), rm.url("/g1")).step(rm.url("/f2"), rm.url("/g2"))
        .step(rm.url("/f3"), rm.url("/g3")).waitResult());
    assertFailure(a, "branch 02 action failed");
    assertThat(rm.calls("emb-fail")).extracting(Api::brief).containsExactly(
        "/f1 GET 01 action", "/f2 GET 02 action", "/g2 GET 02 compensate", "/g1 GET 01 compensate");
    assertThat(dtm.status("emb-fail")).isEqualTo("failed");
  }

  @Test
  void msgCheckBackAndRetriesRunFromTheStore() {
    String gid = "emb-msg";
    rm.on("/qp", c -> rm.count(gid, "00", "msg") == 1 ? Reply.ongoing() : Reply.ok());
    rm.on("/m2", c -> rm.count(gid, "02", "action") == 1 ? Reply.error() : Reply.ok());
    assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/m1")).step(rm.url("/m2")).queryPrepared(rm.url("/qp"))
        .put("timeout_to_fail", 1)));
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly(
        "/qp GET 00 msg", "/qp GET 00 msg", "/m1 GET 01 action", "/m2 GET 02 action", "/m2 GET 02 action");
  }

  @Test
  void queryOutputHasTheSameShape() {
    rm.on("/a2", Reply.failure());
    Api.submit(dtm, Tx.saga("emb-shape").step(rm.url("/a1"), rm.url("/c1")).step(rm.url("/a2"), rm.url("/c2"))
        .payloads("{\"amount\":30}", "{\"amount\":30}").header("X-Tenant", "t").put("retry_limit", 3).waitResult());
    JsonNode q = awaitStatus(dtm, "emb-shape", "failed");
    QueryShapeTest.checkQuery(q, "emb-shape");
    assertThat(q.get("branches")).hasSize(4);
    assertThat(q.at("/transaction/retry_limit").asInt()).isEqualTo(3);
    assertThat(q.at("/transaction/branch_headers/X-Tenant").asText()).isEqualTo("t");
    assertThat(q.get("branches").get(0).get("bin_data").asText()).isEqualTo("eyJhbW91bnQiOjMwfQ==");
    assertThat(dtm.get("/api/dtmsvr/query?gid=nobody").json().get("transaction").isNull()).isTrue();
  }

  @Test
  void allPaginatesAndFilters() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      assertSuccess(Api.submit(dtm, Tx.saga("emb-all-" + i).step("", "").waitResult()));
      created.add("emb-all-" + i);
    }
    assertSuccess(Api.prepare(dtm, Tx.msg("emb-all-msg").step(rm.url("/m")).queryPrepared(rm.url("/qp"))
        .put("timeout_to_fail", 600)));
    created.add("emb-all-msg");
    List<String> seen = new ArrayList<>();
    String position = "";
    do {
      JsonNode page = dtm.get("/api/dtmsvr/all?limit=4" + (position.isEmpty() ? "" : "&position=" + position)).json();
      page.get("transactions").forEach(t -> seen.add(t.get("gid").asText()));
      position = page.get("next_position").asText();
    } while (!position.isEmpty() && seen.size() < 100);
    assertThat(seen).containsExactlyElementsOf(created.reversed());
    JsonNode prepared = dtm.get("/api/dtmsvr/all?status=prepared&transType=msg").json();
    assertThat(prepared.get("transactions")).extracting(t -> t.get("gid").asText()).containsExactly("emb-all-msg");
  }

  @Test
  void badInputStoresNothing() {
    assertError(dtm.post("/api/dtmsvr/submit", "{\"gid\":\"emb-bad\",\"trans_type\":\"saga\",\"steps\":[]}"), 400,
        "a saga needs at least one step");
    assertError(dtm.post("/api/dtmsvr/submit", "{\"gid\":\"emb-bad\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
        + "\"ftp://x/y\",\"compensate\":\"\"}]}"), 400, "must be an http:// or https:// URL");
    assertThat(dtm.query("emb-bad")).isNull();
    assertThat(dtm.get("/api/dtmsvr/all").json().get("transactions")).isEmpty();
  }

  @Test
  void finishedTransactionsAreStillThereAfterARestart() throws Exception {
    assertSuccess(Api.submit(dtm, Tx.saga("emb-durable").step(rm.url("/a"), rm.url("/c")).payloads("{\"k\":1}")
        .waitResult()));
    JsonNode before = Api.query(dtm, "emb-durable");
    restart();
    assertThat(Api.query(dtm, "emb-durable")).isEqualTo(before);
    assertFailure(Api.submit(dtm, Tx.saga("emb-durable").step(rm.url("/a"), rm.url("/c"))),
        "current status 'succeed', cannot submit");
    assertThat(rm.calls("emb-durable")).hasSize(1);
  }

  @Test
  void anUnfinishedSagaIsCarriedOnByTheNextCoordinator() throws Exception {
    String gid = "emb-carry-on";
    AtomicBoolean down = new AtomicBoolean(true);
    rm.on("/a2", c -> down.get() ? Reply.error() : Reply.ok());
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a1"), rm.url("/c1")).step(rm.url("/a2"), rm.url("/c2"))));
    Api.eventually().until(() -> Api.callsTo(rm, gid, "/a2").size() >= 2);
    restart();
    down.set(false);
    awaitStatus(dtm, gid, "succeed");
    // step 1 is not repeated: its success was durable before the restart
    assertThat(Api.callsTo(rm, gid, "/a1")).hasSize(1);
    assertThat(Api.callsTo(rm, gid, "/c1")).isEmpty();
    assertThat(Api.callsTo(rm, gid, "/c2")).isEmpty();
  }

  @Test
  void aPreparedMsgIsCheckedBackByTheNextCoordinator() throws Exception {
    String gid = "emb-prepared-restart";
    assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/m")).queryPrepared(rm.url("/qp"))
        .put("timeout_to_fail", 2)));
    restart();
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/qp GET 00 msg", "/m GET 01 action");
  }

  @Test
  void aMsgAbortedBeforeTheRestartStaysFailedAndSilent() throws Exception {
    String gid = "emb-aborted";
    assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/m")).queryPrepared(rm.url("/qp"))
        .put("timeout_to_fail", 1)));
    assertSuccess(dtm.post("/api/dtmsvr/abort", "{\"gid\":\"" + gid + "\",\"trans_type\":\"msg\"}"));
    restart();
    await().during(Duration.ofMillis(1500)).atMost(Api.PATIENCE)
        .until(() -> rm.calls(gid).isEmpty());
    assertThat(dtm.status(gid)).isEqualTo("failed");
  }

  @Test
  void aWorkflowIsResumedByTheNextCoordinatorWithItsRecordedProgress() throws Exception {
    String gid = "emb-workflow";
    // retry_interval 60 s: no resume before the restart; the restarted coordinator is told to resume it now
    var prepared = dtm.post("/api/dtmsvr/prepareWorkflow", Tx.workflow(gid, "transfer", "{\"amount\":5}",
        rm.url("/resume")).put("retry_interval", 60).json());
    assertThat(prepared.status()).as(prepared.text()).isEqualTo(200);
    assertSuccess(dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "workflow",
        "branch_id", "01", "op", "action", "status", "succeed", "data", "debited")));
    restart();
    assertThat(rm.calls(gid)).isEmpty();
    assertSuccess(dtm.post("/api/dtmsvr/resetNextCronTime", "{\"gid\":\"" + gid + "\"}"));
    Api.eventually().until(() -> rm.count(gid, "00", "transfer") == 1);
    assertThat(Api.full(rm.calls(gid).getFirst())).isEqualTo(
        "/resume POST gid=emb-workflow trans_type=workflow branch_id=00 op=transfer body={\"amount\":5}");
    // the resumed client replays its progress and finishes
    var again = dtm.post("/api/dtmsvr/prepareWorkflow", Tx.workflow(gid, "transfer", "{\"amount\":5}",
        rm.url("/resume")).json());
    assertThat(again.json().at("/progresses/0/bin_data").asText())
        .isEqualTo(java.util.Base64.getEncoder().encodeToString("debited".getBytes(StandardCharsets.UTF_8)));
    assertSuccess(dtm.post("/api/dtmsvr/submit", "{\"gid\":\"" + gid + "\",\"trans_type\":\"workflow\","
        + "\"req_extra\":{\"status\":\"succeed\"}}"));
    restart();
    assertThat(dtm.status(gid)).isEqualTo("succeed");
  }

  @Test
  void aTccSubmittedBeforeTheRestartIsConfirmedByTheNextCoordinator() throws Exception {
    String gid = "emb-tcc";
    rm.on("/confirm", Participant.Reply.error());
    assertSuccess(Api.prepare(dtm, Tx.of("tcc", gid).put("timeout_to_fail", 60)));
    assertSuccess(dtm.post("/api/dtmsvr/registerBranch", Tx.branch("gid", gid, "trans_type", "tcc", "branch_id", "01",
        "confirm", rm.url("/confirm"), "cancel", rm.url("/cancel"))));
    assertSuccess(Api.submit(dtm, Tx.of("tcc", gid)));
    Api.eventually().until(() -> rm.count(gid, "01", "confirm") >= 1);
    restart();
    rm.on("/confirm", Participant.Reply.ok());
    awaitStatus(dtm, gid, "succeed");
    assertThat(rm.count(gid, "01", "cancel")).isZero();
  }
}
