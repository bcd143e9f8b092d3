package io.cohort.compat.dtmcli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.compat.dtmcli.Participant.Call;
import io.cohort.compat.dtmcli.Participant.Reply;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import pub.dtm.client.exception.FailureException;

/**
 * TCC through dtmcli-java's {@code DtmClient.tccGlobalTransaction} and {@code Tcc.callBranch(body, try, confirm,
 * cancel)}: the SDK prepares, registers each branch and calls its try itself (OkHttp), then submits or aborts; Cohort
 * then drives confirm or cancel, last registered branch first (reference 2.3).
 */
class DtmcliTccTest extends DtmcliTestBase {
  private static final Transfer OUT = new Transfer("alice", 30);
  private static final Transfer IN = new Transfer("bob", 30);
  private static final String OUT_JSON = "{\"account\":\"alice\",\"amount\":30}";
  private static final String IN_JSON = "{\"account\":\"bob\",\"amount\":30}";

  @Test
  void bothTriesSucceedThenCohortConfirmsLastRegisteredFirst() throws Exception {
    // No gid given: the SDK asks the coordinator for one (GET /api/dtmsvr/newGid) and returns it.
    String gid = client.tccGlobalTransaction(tcc -> {
      tcc.callBranch(OUT, bankA.url("/TransOutTry"), bankA.url("/TransOutConfirm"), bankA.url("/TransOutCancel"));
      tcc.callBranch(IN, bankB.url("/TransInTry"), bankB.url("/TransInConfirm"), bankB.url("/TransInCancel"));
    });

    assertThat(gid).isNotBlank();
    awaitStatus(gid, "succeed");
    assertThat(log.briefs(gid)).containsExactly(
        "bank-a POST /TransOutTry try 01 tcc",
        "bank-b POST /TransInTry try 02 tcc",
        "bank-b POST /TransInConfirm confirm 02 tcc",
        "bank-a POST /TransOutConfirm confirm 01 tcc");
    // The try body is what the SDK posts; confirm carries the "data" the SDK registered with the branch.
    assertThat(log.forGid(gid)).extracting(Call::body).containsExactly(OUT_JSON, IN_JSON, IN_JSON, OUT_JSON);
    JsonNode q = cohort.query(gid);
    assertThat(q.at("/transaction/trans_type").asText()).isEqualTo("tcc");
    // What the SDK registered: per branch a cancel and a confirm row; only the confirms ran.
    assertThat(q.get("branches")).extracting(b -> b.get("branch_id").asText() + " " + b.get("op").asText() + " "
        + b.get("status").asText() + " " + b.get("url").asText()).containsExactlyInAnyOrder(
        "01 cancel prepared " + bankA.url("/TransOutCancel"),
        "01 confirm succeed " + bankA.url("/TransOutConfirm"),
        "02 cancel prepared " + bankB.url("/TransInCancel"),
        "02 confirm succeed " + bankB.url("/TransInConfirm"));
  }

  @Test
  void secondTryFailsThenSdkAbortsAndCohortCancelsBothLastRegisteredFirst() {
    String gid = gid("dtmcli-tcc-fail");
    bankB.answer("/TransInTry", Reply.FAILURE);

    assertThatThrownBy(() -> client.tccGlobalTransaction(gid, tcc -> {
      tcc.callBranch(OUT, bankA.url("/TransOutTry"), bankA.url("/TransOutConfirm"), bankA.url("/TransOutCancel"));
      tcc.callBranch(IN, bankB.url("/TransInTry"), bankB.url("/TransInConfirm"), bankB.url("/TransInCancel"));
    })).isInstanceOf(FailureException.class);

    awaitStatus(gid, "failed");
    // The failed try's branch is cancelled too: it was registered before its try ran (a barrier makes it a no-op).
    assertThat(log.briefs(gid)).containsExactly(
        "bank-a POST /TransOutTry try 01 tcc",
        "bank-b POST /TransInTry try 02 tcc",
        "bank-b POST /TransInCancel cancel 02 tcc",
        "bank-a POST /TransOutCancel cancel 01 tcc");
    assertThat(log.forGid(gid)).extracting(Call::body).containsExactly(OUT_JSON, IN_JSON, IN_JSON, OUT_JSON);
    assertThat(log.forGid(gid)).extracting(Call::op).doesNotContain("confirm");
  }

  @Test
  void exceptionInBusinessCodeAfterOneBranchAbortsAndCancelsOnlyThatBranch() {
    String gid = gid("dtmcli-tcc-local-error");

    assertThatThrownBy(() -> client.tccGlobalTransaction(gid, tcc -> {
      tcc.callBranch(OUT, bankA.url("/TransOutTry"), bankA.url("/TransOutConfirm"), bankA.url("/TransOutCancel"));
      throw new IllegalStateException("local business rule broken");
    })).isInstanceOf(FailureException.class);

    awaitStatus(gid, "failed");
    assertThat(log.briefs(gid)).containsExactly(
        "bank-a POST /TransOutTry try 01 tcc",
        "bank-a POST /TransOutCancel cancel 01 tcc");
  }

  @Test
  void confirmAnsweringFailureIsRetriedUntilItSucceeds() throws Exception {
    // A FAILURE from confirm is not final in DTM ("must succeed" op): the coordinator keeps retrying.
    bankB.answer("/TransInConfirm", Reply.FAILURE);
    String gid = gid("dtmcli-tcc-retry");

    client.tccGlobalTransaction(gid, tcc -> {
      tcc.callBranch(OUT, bankA.url("/TransOutTry"), bankA.url("/TransOutConfirm"), bankA.url("/TransOutCancel"));
      tcc.callBranch(IN, bankB.url("/TransInTry"), bankB.url("/TransInConfirm"), bankB.url("/TransInCancel"));
    });
    await().atMost(Duration.ofSeconds(10))
        .until(() -> log.forGid(gid).stream().filter(c -> "confirm".equals(c.op())).count() >= 2);
    assertThat(cohort.status(gid)).isEqualTo("submitted");
    bankB.answer("/TransInConfirm", Reply.SUCCESS);

    awaitStatus(gid, "succeed");
    List<String> briefs = log.briefs(gid);
    assertThat(log.forGid(gid)).extracting(Call::op).doesNotContain("cancel");
    // bank-a's confirm comes only after bank-b's finally succeeded (one at a time, last registered first).
    assertThat(briefs.getLast()).isEqualTo("bank-a POST /TransOutConfirm confirm 01 tcc");
    assertThat(briefs.subList(0, 2)).containsExactly(
        "bank-a POST /TransOutTry try 01 tcc",
        "bank-b POST /TransInTry try 02 tcc");
    assertThat(briefs.subList(2, briefs.size() - 1)).hasSizeGreaterThanOrEqualTo(3)
        .containsOnly("bank-b POST /TransInConfirm confirm 02 tcc");
  }
}
