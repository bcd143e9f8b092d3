package io.cohort.server.api;

import static io.cohort.server.api.Api.assertError;
import static io.cohort.server.api.Api.assertFailure;
import static io.cohort.server.api.Api.assertSuccess;
import static io.cohort.server.api.Api.enc;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import io.cohort.server.support.TestCoordinator;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

/** Topics, msg fan-out, scanKV/queryKV and resetCronTime (reference 1.3, 2.3). */
class TopicsAndAdminApiTest extends CoordinatorTest {

  private TestCoordinator.Answer subscribe(String topic, String url, String remark) {
    return dtm.get("/api/dtmsvr/subscribe?topic=" + enc(topic) + "&url=" + enc(url) + "&remark=" + enc(remark));
  }

  @Test
  void aTopicStepIsDeliveredToEverySubscriberWithFanOutBranchIds() throws Exception {
    try (Participant other = new Participant()) {
      assertSuccess(subscribe("orders", rm.url("/orders"), "stock service"));
      assertSuccess(subscribe("orders", other.url("/orders"), "mail service"));
      assertSuccess(subscribe("audit", rm.url("/audit"), ""));
      String gid = "topic-fanout";
      assertSuccess(Api.submit(dtm, Tx.msg(gid).step("topic://orders").step("topic://audit").step(rm.url("/direct"))
          .payloads("{\"order\":7}", "{\"audit\":true}", "").waitResult()));
      assertThat(Api.query(dtm, gid).get("branches")).extracting(b -> b.get("branch_id").asText() + " "
          + b.get("url").asText() + " " + b.get("status").asText()).containsExactly(
          "01-01 " + rm.url("/orders") + " succeed", "01-02 " + other.url("/orders") + " succeed",
          "02 " + rm.url("/audit") + " succeed", "03 " + rm.url("/direct") + " succeed");
      assertThat(rm.calls(gid)).extracting(Api::full).containsExactly(
          "/orders POST gid=topic-fanout trans_type=msg branch_id=01-01 op=action body={\"order\":7}",
          "/audit POST gid=topic-fanout trans_type=msg branch_id=02 op=action body={\"audit\":true}",
          "/direct GET gid=topic-fanout trans_type=msg branch_id=03 op=action body=");
      assertThat(other.calls(gid)).extracting(Api::brief).containsExactly("/orders POST 01-02 action");
    }
  }

  @Test
  void subscriptionsAreManagedAndValidated() {
    assertSuccess(subscribe("t1", rm.url("/a"), "first"));
    assertFailure(subscribe("t1", rm.url("/a"), "again"), "already subscribes");
    assertError(subscribe("", rm.url("/a"), ""), 400, "topic is required");
    assertError(subscribe("t1", "ftp://x/y", ""), 400, "url must be an http");
    assertError(dtm.get("/api/dtmsvr/subscribe?topic=t1"), 400, "url is required");

    JsonNode kv = dtm.get("/api/dtmsvr/queryKV?cat=topics&key=t1").json();
    assertThat(kv.get("kv")).hasSize(1);
    assertThat(kv.at("/kv/0/k").asText()).isEqualTo("t1");
    assertThat(kv.at("/kv/0/cat").asText()).isEqualTo("topics");
    assertThat(kv.at("/kv/0/version").asLong()).isEqualTo(1);
    assertThat(kv.at("/kv/0/v").asText()).isEqualTo("[{\"url\":\"" + rm.url("/a") + "\",\"remark\":\"first\"}]");

    assertSuccess(dtm.get("/api/dtmsvr/unsubscribe?topic=t1&url=" + enc(rm.url("/a"))));
    assertError(dtm.get("/api/dtmsvr/unsubscribe?topic=t1&url=" + enc(rm.url("/a"))), 404, "does not subscribe");
    assertError(dtm.get("/api/dtmsvr/unsubscribe?topic=nope&url=" + enc(rm.url("/a"))), 404, "no topic 'nope'");
    // an empty topic stays until deleted, and a msg to it is refused without storing anything
    var empty = Api.submit(dtm, Tx.msg("topic-empty").step("topic://t1"));
    assertError(empty, 400, "topic 't1' has no subscribers");
    assertThat(Api.query(dtm, "topic-empty").get("transaction").isNull()).isTrue();

    assertSuccess(dtm.request("DELETE", "/api/dtmsvr/topic/t1", HttpRequest.BodyPublishers.noBody()));
    assertError(dtm.request("DELETE", "/api/dtmsvr/topic/t1", HttpRequest.BodyPublishers.noBody()), 404,
        "no topic 't1'");
    assertError(dtm.get("/api/dtmsvr/topic/t1"), 400, "DELETE");
    assertThat(dtm.get("/api/dtmsvr/queryKV?cat=topics&key=t1").json().get("kv")).isEmpty();
  }

  @Test
  void scanKvPagesThroughACategoryInKeyOrder() {
    for (String t : new String[] {"c", "a", "b"}) {
      assertSuccess(subscribe(t, rm.url("/" + t), ""));
    }
    JsonNode page1 = dtm.get("/api/dtmsvr/scanKV?cat=topics&limit=2").json();
    assertThat(page1.get("kv")).extracting(e -> e.get("k").asText()).containsExactly("a", "b");
    assertThat(page1.get("next_position").asText()).isEqualTo("b");
    JsonNode page2 = dtm.get("/api/dtmsvr/scanKV?cat=topics&limit=2&position=b").json();
    assertThat(page2.get("kv")).extracting(e -> e.get("k").asText()).containsExactly("c");
    assertThat(page2.get("next_position").asText()).isEmpty();
    assertThat(dtm.get("/api/dtmsvr/queryKV?cat=topics").json().get("kv")).hasSize(3);
    assertError(dtm.get("/api/dtmsvr/scanKV"), 400, "cat is required");
    assertError(dtm.get("/api/dtmsvr/scanKV?cat=topics&limit=0"), 400, "limit must be between 1 and 1000");
  }

  @Test
  void resetCronTimeMakesTransactionsThatBackedOffFarDueNow() {
    // A prepared tcc due in an hour is "far"; one due in 30 s is not, for a horizon of 60 s.
    assertSuccess(Api.prepare(dtm, Tx.of("tcc", "reset-far").put("timeout_to_fail", 3600)));
    assertSuccess(Api.prepare(dtm, Tx.of("tcc", "reset-near").put("timeout_to_fail", 30)));
    JsonNode r = dtm.get("/api/dtmsvr/resetCronTime?timeout=60&limit=10").json();
    assertThat(r.get("succeed_count").asInt()).isEqualTo(1);
    assertThat(r.get("has_remaining").asBoolean()).isFalse();
    // due now: the scheduler takes it up, finds it not yet timed out, and puts it back to sleep until its timeout
    Api.eventually().until(() -> Api.query(dtm, "reset-far").at("/transaction/next_cron_time").asText()
        .compareTo(Api.query(dtm, "reset-near").at("/transaction/next_cron_time").asText()) > 0);
    assertThat(dtm.status("reset-far")).isEqualTo("prepared");
    assertError(dtm.get("/api/dtmsvr/resetCronTime?limit=x"), 400, "limit must be an integer");
  }
}
