package io.cohort.server.api;

import static io.cohort.server.api.Api.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.server.support.CoordinatorTest;
import io.cohort.server.support.Participant;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

/**
 * What the coordinator adds to every branch call: the caller's W3C {@code traceparent} (taken from the prepare or
 * submit request when the transaction's branch headers do not set one) and {@code Cohort-Timeout}, the call's own
 * timeout in milliseconds.
 */
class TraceAndDeadlineHeadersTest extends CoordinatorTest {
  private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

  private int submitWith(String gid, String... headers) {
    return dtm.request("POST", "/api/dtmsvr/submit",
        HttpRequest.BodyPublishers.ofString(Tx.saga(gid).step(rm.url("/a"), rm.url("/c")).json()), headers).status();
  }

  private void awaitFinal(String gid) {
    var a = dtm.get("/api/dtmsvr/wait?gid=" + gid + "&timeout=10");
    assertThat(a.status()).as(a.text()).isEqualTo(200);
  }

  @Test
  void theSubmittersTraceparentReachesEveryBranchCallAndTheTimeoutIsTheRequestTimeout() {
    String gid = "trace-1";
    assertThat(submitWith(gid, "traceparent", TRACE)).isEqualTo(200);
    awaitFinal(gid);
    Participant.Call call = rm.calls(gid).get(0);
    assertThat(call.headers()).containsEntry("traceparent", TRACE);
    assertThat(Long.parseLong(call.headers().get("cohort-timeout"))).isPositive();
  }

  @Test
  void aTraceparentInTheBranchHeadersWinsOverTheRequestHeader() {
    String gid = "trace-2";
    String own = "00-11111111111111111111111111111111-2222222222222222-01";
    assertSuccess(dtm.request("POST", "/api/dtmsvr/submit", HttpRequest.BodyPublishers.ofString(
        Tx.saga(gid).step(rm.url("/a"), rm.url("/c")).header("traceparent", own).json()),
        "traceparent", TRACE));
    awaitFinal(gid);
    assertThat(rm.calls(gid).get(0).headers()).containsEntry("traceparent", own);
  }

  @Test
  void aMalformedTraceparentIsIgnored() {
    String gid = "trace-3";
    assertThat(submitWith(gid, "traceparent", "00-not-a-trace")).isEqualTo(200);
    awaitFinal(gid);
    assertThat(rm.calls(gid).get(0).headers()).doesNotContainKey("traceparent");
    assertThat(rm.calls(gid).get(0).headers()).containsKey("cohort-timeout");
  }
}
