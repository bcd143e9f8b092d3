package io.cohort.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.context.CohortContext;
import io.cohort.client.testing.CoordinatorFixture;
import io.cohort.client.testing.LoopbackParticipant;
import io.cohort.protocol.GlobalStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The caller's deadline and W3C {@code traceparent} reach the coordinator and, through it, every participant; a
 * participant's handler reads the transaction context.
 */
class ContextPropagationTest extends CoordinatorFixture {
  private static final String TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  private static CohortContext traced(Duration timeout) {
    return CohortContext.empty().withTraceparent(TRACE).withTimeout(timeout, InstantSource.system());
  }

  @Test
  void theTraceAndDeadlineReachTheTryFromTheSdkAndTheConfirmFromTheCoordinator() {
    String gid = client.newGid();
    try (CohortContext.Scope ignored = traced(Duration.ofSeconds(5)).attach()) {
      client.tcc(gid).execute(tcc -> tcc.callBranch(1, bank.url("/try"), bank.url("/confirm"), bank.url("/cancel")));
    }
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);

    LoopbackParticipant.Call tryCall = bank.callsTo("/try").get(0);
    assertThat(tryCall.header("traceparent")).isEqualTo(TRACE);
    assertThat(Long.parseLong(tryCall.header("Cohort-Timeout"))).isBetween(1L, 5000L);

    LoopbackParticipant.Call confirm = bank.callsTo("/confirm").get(0);
    assertThat(confirm.header("traceparent")).isEqualTo(TRACE);
    assertThat(confirm.header("Cohort-Timeout")).isEqualTo("3000"); // the coordinator's request timeout
  }

  @Test
  void aParticipantsHandlerSeesTheTransactionContext() {
    AtomicReference<CohortContext> seen = new AtomicReference<>();
    bank.on("/action", r -> {
      seen.set(CohortContext.current());
      return null;
    });
    String gid;
    try (CohortContext.Scope ignored = traced(Duration.ofSeconds(30)).attach()) {
      gid = client.saga().add(bank.url("/action"), "", Map.of()).submit();
    }
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);

    CohortContext ctx = seen.get();
    assertThat(ctx.gid()).contains(gid);
    assertThat(ctx.transType()).contains("saga");
    assertThat(ctx.branchId()).contains("01");
    assertThat(ctx.op()).contains("action");
    assertThat(ctx.traceparent()).contains(TRACE);
    assertThat(ctx.deadline()).hasValueSatisfying(d -> assertThat(d).isAfter(Instant.now().minusSeconds(10)));
    // Outside the handler, nothing is current.
    assertThat(CohortContext.current().gid()).isEmpty();
  }

  @Test
  void aCallWhoseDeadlinePassedIsNotMade() {
    String gid = "deadline-" + System.nanoTime();
    CohortContext expired = CohortContext.empty().withDeadline(Instant.now().minusMillis(1));
    try (CohortContext.Scope ignored = expired.attach()) {
      assertThatThrownBy(() -> client.saga(gid).add(bank.url("/a"), "", 1).submit())
          .isInstanceOf(CallDeadlineExceededException.class)
          .hasMessageContaining("has passed")
          .satisfies(e -> assertThat(((CohortClientException) e).retryable()).isTrue());
    }
    assertThat(client.query(gid)).isEmpty();
  }

  @Test
  void anyClientsTraceparentHeaderIsCarriedToTheBranches() throws Exception {
    // A client that knows nothing of Cohort's SDK (any DTM SDK with a tracing HTTP client) sends the header on submit.
    String gid = "raw-trace-" + System.nanoTime();
    String body = "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\",\"steps\":[{\"action\":\"" + bank.url("/a")
        + "\",\"compensate\":\"\"}],\"payloads\":[\"{}\"]}";
    HttpResponse<String> resp = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(cohort.baseUrl() + "/submit")).header("traceparent", TRACE)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(200);
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(bank.callsTo("/a").get(0).header("traceparent")).isEqualTo(TRACE);
  }

  @Test
  void aMalformedTraceparentIsRefusedBySdkAndIgnoredByTheCoordinator() throws Exception {
    assertThatThrownBy(() -> CohortContext.empty().withTraceparent("00-xyz-01"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("W3C traceparent");
    assertThat(CohortContext.isValidTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).isFalse();
    String gid = "bad-trace-" + System.nanoTime();
    String body = "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\",\"steps\":[{\"action\":\"" + bank.url("/a")
        + "\",\"compensate\":\"\"}],\"payloads\":[\"{}\"]}";
    HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cohort.baseUrl() + "/submit"))
        .header("traceparent", "garbage").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(bank.callsTo("/a").get(0).header("traceparent")).isNull();
  }

  @Test
  void scopesNestAndRestore() {
    CohortContext outer = CohortContext.empty().withTraceparent(TRACE);
    try (CohortContext.Scope a = outer.attach()) {
      try (CohortContext.Scope b = CohortContext.empty().attach()) {
        assertThat(CohortContext.current().traceparent()).isEmpty();
      }
      assertThat(CohortContext.current()).isSameAs(outer);
    }
    assertThat(CohortContext.current()).isSameAs(CohortContext.empty());
  }
}
