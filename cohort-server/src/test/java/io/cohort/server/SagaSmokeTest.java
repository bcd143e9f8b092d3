package io.cohort.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.server.support.Participant;
import io.cohort.server.support.TestCoordinator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SagaSmokeTest {
  TestCoordinator dtm;
  Participant bank;

  @BeforeEach
  void start() throws Exception {
    dtm = TestCoordinator.inMemory();
    bank = new Participant();
  }

  @AfterEach
  void stop() {
    dtm.close();
    bank.close();
  }

  @Test
  void twoStepSagaSucceedsWithWaitResult() {
    String body = """
        {"gid":"smoke-1","trans_type":"saga","wait_result":true,
         "steps":[{"action":"%1$s/out","compensate":"%1$s/outRevert"},{"action":"%1$s/in","compensate":"%1$s/inRevert"}],
         "payloads":["{\\"amount\\":30}","{\\"amount\\":30}"]}""".formatted(bank.url());
    var a = dtm.post("/api/dtmsvr/submit", body);
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    assertThat(a.json().get("dtm_result").asText()).isEqualTo("SUCCESS");
    assertThat(dtm.status("smoke-1")).isEqualTo("succeed");
    assertThat(bank.calls("smoke-1")).extracting(c -> c.path() + " " + c.method() + " " + c.branchId() + " " + c.op()
        + " " + c.body())
        .containsExactly("/out POST 01 action {\"amount\":30}", "/in POST 02 action {\"amount\":30}");
  }

  @Test
  void failedActionCompensatesInReverseIncludingTheFailedStep() {
    bank.on("/in", Participant.Reply.failure());
    String body = """
        {"gid":"smoke-2","trans_type":"saga","wait_result":true,
         "steps":[{"action":"%1$s/out","compensate":"%1$s/outRevert"},{"action":"%1$s/in","compensate":"%1$s/inRevert"}]}"""
        .formatted(bank.url());
    var a = dtm.post("/api/dtmsvr/submit", body);
    assertThat(a.status()).as(a.text()).isEqualTo(409);
    assertThat(a.text()).contains("FAILURE");
    assertThat(dtm.status("smoke-2")).isEqualTo("failed");
    assertThat(bank.calls("smoke-2")).extracting(c -> c.path() + " " + c.method())
        .containsExactly("/out GET", "/in GET", "/inRevert GET", "/outRevert GET");
  }

  /** A wait_result re-submit while the first round still runs answers that round's result, not an early 409. */
  @Test
  void waitResultResubmitDuringARunningRoundWaitsForIt() {
    bank.on("/slow", Participant.Reply.ok().after(1500));
    String body = """
        {"gid":"smoke-3","trans_type":"saga",%s
         "steps":[{"action":"%s/slow","compensate":"%s/revert"}]}""";
    var first = dtm.post("/api/dtmsvr/submit", body.formatted("", bank.url(), bank.url()));
    assertThat(first.status()).isEqualTo(200);
    var again = dtm.post("/api/dtmsvr/submit", body.formatted("\"wait_result\":true,", bank.url(), bank.url()));
    assertThat(again.status()).as(again.text()).isEqualTo(200);
    assertThat(dtm.status("smoke-3")).isEqualTo("succeed");
    assertThat(bank.calls("smoke-3")).extracting(Participant.Call::path).containsExactly("/slow");
  }
}
