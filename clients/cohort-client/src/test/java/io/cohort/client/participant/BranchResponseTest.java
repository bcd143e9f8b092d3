package io.cohort.client.participant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.InvalidBranchException;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one outcome-to-answer mapping, without any HTTP server. */
class BranchResponseTest {
  private static final BranchRequest REQUEST =
      BranchRequest.fromQueryString("gid=g1&trans_type=saga&branch_id=01&op=action", Map.of(), new byte[0]);

  private static BranchResponse respond(BranchHandler handler) {
    return handler.respond(REQUEST);
  }

  /** What the coordinator and the DTM clients conclude from an answer (reference 2.2, in its order). */
  static String dtmReading(int status, String body) {
    if (status == 425 || body.contains("ONGOING")) {
      return "ONGOING";
    }
    if (status == 409 || body.contains("FAILURE")) {
      return "FAILURE";
    }
    return status == 200 ? "SUCCESS" : "ERROR";
  }

  private static String reading(BranchResponse r) {
    return dtmReading(r.status(), r.body());
  }

  @Test
  void aReturnedResponseIsAnsweredAsItIs() {
    assertThat(respond(r -> BranchResponse.failure("no")).status()).isEqualTo(409);
    assertThat(respond(r -> BranchResponse.error(400, "bad")).status()).isEqualTo(400);
  }

  @Test
  void aNormalReturnIsSuccessWhateverTheValue() {
    for (Object value : new Object[] {null, "FAILURE ONGOING", 42, BranchResult.SUCCESS, PreparedState.COMMITTED}) {
      BranchResponse r = respond(req -> value);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
      assertThat(reading(r)).isEqualTo("SUCCESS");
    }
    assertThat(respond(BranchHandler.of(req -> { })).status()).isEqualTo(200);
  }

  @Test
  void branchFailedIs409WithItsMessage() {
    BranchResponse r = respond(req -> {
      throw new BranchFailedException("balance \"too\" low");
    });
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.body()).isEqualTo("{\"dtm_result\":\"FAILURE\",\"message\":\"balance \\\"too\\\" low\"}");
    assertThat(reading(r)).isEqualTo("FAILURE");
    assertThat(respond(req -> BranchResult.FAILURE).body()).isEqualTo("{\"dtm_result\":\"FAILURE\"}");
  }

  @Test
  void ongoingIs425() {
    BranchResponse r = respond(req -> {
      throw new BranchOngoingException("waiting for the bank");
    });
    assertThat(r.status()).isEqualTo(425);
    assertThat(r.body()).isEqualTo("{\"dtm_result\":\"ONGOING\",\"message\":\"waiting for the bank\"}");
    assertThat(reading(r)).isEqualTo("ONGOING");
    assertThat(respond(req -> BranchResult.ONGOING).status()).isEqualTo(425);
    assertThat(new BranchOngoingException("x").retryable()).isTrue();
  }

  @Test
  void anyOtherExceptionIs500WithoutStackTrace() {
    BranchResponse r = respond(req -> {
      throw new SQLException("connection lost");
    });
    assertThat(r.status()).isEqualTo(500);
    assertThat(r.body()).isEqualTo("{\"message\":\"connection lost\"}");
    assertThat(reading(r)).isEqualTo("ERROR");

    BranchResponse noMessage = respond(req -> {
      throw new IllegalStateException();
    });
    assertThat(noMessage.body()).isEqualTo("{\"message\":\"IllegalStateException\"}").doesNotContain("at io.");
  }

  @Test
  void aNonRetryableSdkExceptionOtherThanBranchFailedIsNotAFailure() {
    // a bug must not abort a saga: only BranchFailedException means FAILURE
    BranchResponse r = respond(req -> {
      throw new io.cohort.client.CohortClientException("misused", false);
    });
    assertThat(r.status()).isEqualTo(500);
  }

  @Test
  void markerWordsInMessagesNeverChangeWhatTheStatusSays() {
    BranchResponse error = respond(req -> {
      throw new RuntimeException("upstream said FAILURE, then ONGOING");
    });
    assertThat(error.status()).isEqualTo(500);
    assertThat(error.body()).doesNotContain("FAILURE").doesNotContain("ONGOING")
        .contains("upstream said failure, then ongoing");
    assertThat(reading(error)).isEqualTo("ERROR");

    BranchResponse failure = respond(req -> {
      throw new BranchFailedException("still ONGOING elsewhere");
    });
    assertThat(failure.body()).doesNotContain("ONGOING");
    assertThat(reading(failure)).isEqualTo("FAILURE");

    BranchResponse ongoing = respond(req -> {
      throw new BranchOngoingException("not a FAILURE yet");
    });
    assertThat(reading(ongoing)).isEqualTo("ONGOING");
  }

  @Test
  void messagesAreEscapedAndCut() {
    assertThat(BranchResponse.jsonString("a\\b\n\u0001\t\r")).isEqualTo("\"a\\\\b\\n\\u0001\\t\\r\"");
    String longMessage = "x".repeat(5000);
    BranchResponse r = BranchResponse.error(500, longMessage);
    assertThat(r.body().length()).isLessThan(BranchResponse.MAX_MESSAGE + 30);
    assertThat(BranchResponse.jsonString("FAIL" + "x".repeat(BranchResponse.MAX_MESSAGE))).doesNotContain("FAILURE");
  }

  @Test
  void errorStatusesMustNotCollideWithDtmResults() {
    for (int bad : new int[] {200, 302, 409, 425, 600}) {
      assertThatThrownBy(() -> BranchResponse.error(bad, "x")).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(BranchResponse.error(503, "x").status()).isEqualTo(503);
  }

  @ParameterizedTest
  @ValueSource(strings = {"trans_type", "gid", "branch_id", "op"})
  void aMissingParameterIs400NamingIt(String name) {
    String query = "gid=g1&trans_type=saga&branch_id=01&op=action".replaceAll(name + "=[^&]*", "");
    InvalidBranchException e = (InvalidBranchException) org.assertj.core.api.Assertions.catchThrowable(
        () -> BranchRequest.fromQueryString(query, null, null));
    assertThat(e.parameter()).isEqualTo(name);
    BranchResponse r = BranchResponse.forException(e);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("\"parameter\":\"" + name + "\"").contains("'" + name + "' is missing");
    assertThat(reading(r)).isEqualTo("ERROR");
  }

  @Test
  void checkBackAnswersFromTheBarrier() {
    assertThat(BranchResponse.forPrepared(true).status()).isEqualTo(200);
    assertThat(BranchResponse.forPrepared(false).status()).isEqualTo(409);
    assertThat(reading(BranchResponse.forPrepared(false))).isEqualTo("FAILURE");
    assertThat(BranchResponse.forPrepared(PreparedState.UNKNOWN).status()).isEqualTo(425);
    assertThat(respond(req -> PreparedState.UNKNOWN).status()).isEqualTo(425);

    BranchRequest msg = BranchRequest.fromQueryString("gid=m1&trans_type=msg&branch_id=00&op=msg", null, null);
    assertThat(BranchHandler.checkBack(gid -> gid.equals("m1")).respond(msg).status()).isEqualTo(200);
    assertThat(BranchHandler.checkBack(gid -> false).respond(msg).status()).isEqualTo(409);
    assertThat(BranchHandler.checkBack(gid -> {
      throw new SQLException("db down");
    }).respond(msg).status()).isEqualTo(500);
  }

  @Test
  void interruptionIsKept() {
    BranchResponse r = respond(req -> {
      throw new InterruptedException();
    });
    assertThat(r.status()).isEqualTo(500);
    assertThat(Thread.interrupted()).isTrue();
  }

  @Test
  void theRequestCarriesParametersHeadersAndBody() {
    BranchRequest r = BranchRequest.fromQueryString("a=1&gid=g%201&trans_type=tcc&branch_id=0101&op=try&a=2&flag",
        Map.of("X-Trace", java.util.List.of("t1")), "{\"amount\":30}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(r.gid()).isEqualTo("g 1");
    assertThat(r.transType()).isEqualTo("tcc");
    assertThat(r.branchId()).isEqualTo("0101");
    assertThat(r.op()).isEqualTo("try");
    assertThat(r.query().get("a")).containsExactly("1", "2");
    assertThat(r.queryParam("flag")).isEmpty();
    assertThat(r.header("x-trace")).isEqualTo("t1");
    assertThat(r.bodyAsString()).isEqualTo("{\"amount\":30}");
    BranchBarrier barrier = r.barrier();
    assertThat(r.barrier()).isSameAs(barrier);
    assertThat(barrier.gid()).isEqualTo("g 1");
    byte[] body = r.body();
    body[0] = 'x';
    assertThat(r.bodyAsString()).startsWith("{");
    assertThat(BranchRequest.fromQueryString("gid=g&trans_type=msg&branch_id=00&op=msg", null, null).body()).isEmpty();
  }
}
