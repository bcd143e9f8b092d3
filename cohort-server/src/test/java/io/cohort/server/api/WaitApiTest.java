package io.cohort.server.api;

import static io.cohort.server.api.Api.assertError;
import static io.cohort.server.api.Api.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Reply;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Cohort's own {@code GET /api/dtmsvr/wait}: block until a transaction is final. */
class WaitApiTest extends CoordinatorTest {
  @Test
  void blocksUntilTheSagaSucceedsAndReturnsTheQueryBody() {
    String gid = "wait-succeed";
    rm.on("/a", c -> rm.count(gid, "01", "action") <= 3 ? Reply.ongoing() : Reply.ok());
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c"))));
    long t0 = System.nanoTime();
    var a = dtm.get("/api/dtmsvr/wait?gid=" + gid + "&timeout=15");
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    assertThat(a.json().at("/transaction/gid").asText()).isEqualTo(gid);
    assertThat(a.json().at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat(a.json().get("branches")).hasSize(2);
    assertThat(a.json().has("dtm_result")).isFalse();
    // it really waited for the retries (three ONGOING answers 200 ms apart), and no longer than needed
    assertThat(took).isBetween(400L, 10_000L);
    assertThat(rm.calls(gid)).hasSize(4);
    assertThat(a.json()).isEqualTo(Api.query(dtm, gid));
  }

  @Test
  void returnsAFailedSagaWith200AndStatusFailed() {
    String gid = "wait-failed";
    rm.on("/a", Reply.failure().after(300));
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c"))));
    var a = dtm.get("/api/dtmsvr/wait?gid=" + gid + "&timeout_ms=15000");
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    assertThat(a.json().at("/transaction/status").asText()).isEqualTo("failed");
    assertThat(a.json().at("/transaction/rollback_reason").asText()).startsWith("branch 01 action failed");
    assertThat(rm.calls(gid)).extracting(Api::brief).containsExactly("/a GET 01 action", "/c GET 01 compensate");
  }

  @Test
  void anAlreadyFinalTransactionIsReturnedAtOnce() {
    String gid = "wait-final";
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step("", "").waitResult()));
    long t0 = System.nanoTime();
    var a = dtm.get("/api/dtmsvr/wait?gid=" + gid + "&timeout=60");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.json().at("/transaction/status").asText()).isEqualTo("succeed");
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
  }

  @Test
  void manyWaitersOnOneTransactionAreAllReleased() {
    String gid = "wait-many";
    rm.on("/a", c -> rm.count(gid, "01", "action") <= 2 ? Reply.ongoing() : Reply.ok());
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c"))));
    var waits = java.util.stream.IntStream.range(0, 8)
        .mapToObj(i -> CompletableFuture.supplyAsync(() -> dtm.get("/api/dtmsvr/wait?gid=" + gid + "&timeout=15")))
        .toList();
    for (var w : waits) {
      var a = w.join();
      assertThat(a.status()).isEqualTo(200);
      assertThat(a.json().at("/transaction/status").asText()).isEqualTo("succeed");
    }
  }

  @Test
  void answers425OngoingWhenTheTimeoutPassesFirst() {
    String gid = "wait-timeout";
    rm.on("/a", Reply.ongoing());
    assertSuccess(Api.submit(dtm, Tx.saga(gid).step(rm.url("/a"), rm.url("/c"))));
    long t0 = System.nanoTime();
    var a = dtm.get("/api/dtmsvr/wait?gid=" + gid + "&timeout_ms=700");
    long took = (System.nanoTime() - t0) / 1_000_000;
    assertThat(a.status()).as(a.text()).isEqualTo(425);
    assertThat(a.json().get("dtm_result").asText()).isEqualTo("ONGOING");
    assertThat(a.json().get("message").asText()).isEqualTo("not final after 700 ms");
    assertThat(a.json().at("/transaction/status").asText()).isEqualTo("submitted");
    assertThat(took).isBetween(690L, 5000L);
  }

  @Test
  void timeoutInSecondsAlsoAnswers425() {
    String gid = "wait-timeout-s";
    assertSuccess(Api.prepare(dtm, Tx.msg(gid).step(rm.url("/m")).queryPrepared(rm.url("/qp"))
        .put("timeout_to_fail", 600)));
    var a = dtm.get("/api/dtmsvr/wait?gid=" + gid + "&timeout=1");
    assertThat(a.status()).isEqualTo(425);
    assertThat(a.json().get("dtm_result").asText()).isEqualTo("ONGOING");
    assertThat(a.json().at("/transaction/status").asText()).isEqualTo("prepared");
  }

  @Test
  void unknownGidIs404() {
    assertError(dtm.get("/api/dtmsvr/wait?gid=wait-nobody&timeout=1"), 404, "no transaction with gid 'wait-nobody'");
  }

  @Test
  void missingGidIs400() {
    assertError(dtm.get("/api/dtmsvr/wait"), 400, "no gid specified");
    assertError(dtm.get("/api/dtmsvr/wait?gid=&timeout=1"), 400, "no gid specified");
  }

  @Test
  void timeoutOverTheMaximumIs400() {
    assertError(dtm.get("/api/dtmsvr/wait?gid=x&timeout=301"), 400, "timeout must be at most 300 seconds");
    assertError(dtm.get("/api/dtmsvr/wait?gid=x&timeout_ms=300001"), 400, "timeout must be at most 300 seconds");
  }

  @Test
  void badTimeoutsAre400() {
    assertError(dtm.get("/api/dtmsvr/wait?gid=x&timeout=abc"), 400, "timeout must be an integer");
    assertError(dtm.get("/api/dtmsvr/wait?gid=x&timeout=-1"), 400, "timeout must not be negative");
    assertError(dtm.get("/api/dtmsvr/wait?gid=x&timeout_ms=1.5"), 400, "timeout_ms must be an integer");
  }

  @Test
  void invalidGidIs400() {
    assertError(dtm.get("/api/dtmsvr/wait?gid=" + "g".repeat(129)), 400, "gid is 129 characters long");
  }
}
