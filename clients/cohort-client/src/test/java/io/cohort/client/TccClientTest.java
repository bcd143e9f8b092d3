package io.cohort.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.tcc.Tcc;
import io.cohort.client.testing.CoordinatorFixture;
import io.cohort.client.testing.LoopbackParticipant;
import io.cohort.protocol.GlobalStatus;
import io.cohort.testkit.CohortTestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TCC runner against a real in-process coordinator and loopback participants. */
class TccClientTest extends CoordinatorFixture {
  @Override
  protected CohortTestServer.Builder coordinator() {
    return CohortTestServer.builder().timeoutToFail(Duration.ofSeconds(30));
  }

  @Test
  void triesThenConfirmsLastRegisteredFirst() {
    bank.on("/a-try", r -> "{\"frozen\":30}");
    String gid = client.newGid();
    BranchReply reply = client.tcc(gid).execute(tcc -> {
      BranchReply a = tcc.callBranch(Map.of("amount", 30), bank.url("/a-try"), bank.url("/a-confirm"),
          bank.url("/a-cancel"));
      tcc.callBranch(Map.of("amount", 30), bank.url("/b-try"), bank.url("/b-confirm"), bank.url("/b-cancel"));
      return a;
    });

    assertThat(reply.branchId()).isEqualTo("01");
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(bank.calls()).extracting(LoopbackParticipant.Call::path)
        .containsExactly("/a-try", "/b-try", "/b-confirm", "/a-confirm");
    LoopbackParticipant.Call tryCall = bank.callsTo("/a-try").get(0);
    assertThat(tryCall.op()).isEqualTo("try");
    assertThat(tryCall.transType()).isEqualTo("tcc");
    assertThat(tryCall.body()).isEqualTo("{\"amount\":30}");
    // The confirm carries the payload registered with the branch.
    assertThat(bank.callsTo("/a-confirm").get(0).body()).isEqualTo("{\"amount\":30}");
  }

  @Test
  void aRefusedTryAbortsAndCancelsEveryRegisteredBranch() {
    bank.on("/b-try", r -> {
      throw new BranchFailedException("insufficient funds");
    });
    String gid = client.newGid();

    assertThatThrownBy(() -> client.tcc(gid).execute(tcc -> {
      tcc.callBranch(1, bank.url("/a-try"), bank.url("/a-confirm"), bank.url("/a-cancel"));
      tcc.callBranch(1, bank.url("/b-try"), bank.url("/b-confirm"), bank.url("/b-cancel"));
      return null;
    })).isInstanceOf(TransactionFailedException.class)
        .hasMessageContaining(gid)
        .cause().isInstanceOf(BranchCallException.class)
        .hasMessageContaining("refused (FAILURE)")
        .hasMessageContaining("insufficient funds")
        .satisfies(e -> assertThat(((BranchCallException) e).httpStatus()).isEqualTo(409));

    TransactionInfo done = client.awaitFinal(gid, Duration.ofSeconds(10));
    assertThat(done.status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(done.rollbackReason()).contains("insufficient funds");
    // Both registered branches are cancelled (b's try failed, so its cancel is a null compensation at the barrier).
    assertThat(bank.calls()).extracting(LoopbackParticipant.Call::path)
        .containsExactly("/a-try", "/b-try", "/b-cancel", "/a-cancel");
  }

  @Test
  void anExceptionInTheBodyAbortsWithTheBodysErrorAsCause() {
    String gid = client.newGid();
    IllegalStateException boom = new IllegalStateException("order service down");
    assertThatThrownBy(() -> client.tcc(gid).execute(tcc -> {
      tcc.callBranch(1, bank.url("/a-try"), bank.url("/a-confirm"), bank.url("/a-cancel"));
      throw boom;
    })).isInstanceOf(TransactionFailedException.class).hasCause(boom);
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.FAILED);
    assertThat(bank.callsTo("/a-cancel")).hasSize(1);
    assertThat(bank.callsTo("/a-confirm")).isEmpty();
  }

  @Test
  void aParticipantCallsNestedBranchesUnderItsOwnBranchId() {
    bank.on("/parent-try", r -> {
      Tcc nested = client.tccBranchOf(r);
      nested.callBranch(5, bank.url("/child-try"), bank.url("/child-confirm"), bank.url("/child-cancel"));
      return null;
    });
    String gid = client.newGid();
    client.tcc(gid).execute(tcc -> tcc.callBranch(5, bank.url("/parent-try"), bank.url("/parent-confirm"),
        bank.url("/parent-cancel")));

    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    assertThat(bank.callsTo("/child-try").get(0).branchId()).isEqualTo("0101");
    // The nested branch registered last, so it is confirmed first.
    assertThat(bank.calls()).extracting(LoopbackParticipant.Call::path)
        .containsExactly("/parent-try", "/child-try", "/child-confirm", "/parent-confirm");
  }

  @Test
  void nestedBranchesNeedATccTry() {
    bank.on("/saga-action", r -> client.tccBranchOf(r));
    String gid = client.saga().add(bank.url("/saga-action"), "", 1).submit();
    cohort.awaitIdle(gid, Duration.ofSeconds(10));
    assertThat(cohort.status(gid)).isEqualTo("submitted"); // the handler threw IllegalArgumentException: 500, retried
  }

  @Test
  void aTransactionThatTimedOutCannotRegisterMoreBranches() {
    String gid = client.newGid();
    assertThatThrownBy(() -> client.tcc(gid).timeoutToFail(Duration.ofSeconds(5)).execute(tcc -> {
      tcc.callBranch(1, bank.url("/a-try"), bank.url("/a-confirm"), bank.url("/a-cancel"));
      cohort.advance(Duration.ofSeconds(6));
      cohort.awaitFinal(gid, Duration.ofSeconds(10));
      return tcc.callBranch(1, bank.url("/b-try"), bank.url("/b-confirm"), bank.url("/b-cancel"));
    })).isInstanceOf(TransactionFailedException.class)
        .cause().isInstanceOf(CoordinatorException.class)
        .satisfies(e -> assertThat(((CoordinatorException) e).httpStatus()).isEqualTo(409));
    assertThat(bank.callsTo("/b-try")).isEmpty();
    assertThat(bank.callsTo("/a-cancel")).hasSize(1);
  }

  @Test
  void badBranchArgumentsAreRefusedBeforeRegistering() {
    String gid = client.newGid();
    assertThatThrownBy(() -> client.tcc(gid).execute(tcc ->
        tcc.callBranch(1, "not-a-url", bank.url("/c"), bank.url("/x"))))
        .isInstanceOf(TransactionFailedException.class)
        .cause().isInstanceOf(IllegalArgumentException.class).hasMessageContaining("try url");
    assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).branches()).isEmpty();
    assertThat(bank.calls()).isEmpty();
  }
}
