package io.cohort.client.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.cohort.client.TransactionInfo;
import io.cohort.protocol.GlobalStatus;
import io.cohort.testkit.CohortTestServer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The five-minute start works as the page says. */
class QuickStartTest {
  @Test
  void aTransferMovesMoneyAndAnOverdraftRollsBack() throws Exception {
    Map<String, Long> a = new ConcurrentHashMap<>(Map.of("alice", 100L));
    Map<String, Long> b = new ConcurrentHashMap<>();
    HttpServer bankA = QuickStart.bank(0, a);
    HttpServer bankB = QuickStart.bank(0, b);
    try (CohortTestServer cohort = CohortTestServer.start()) {
      String urlA = "http://127.0.0.1:" + bankA.getAddress().getPort();
      String urlB = "http://127.0.0.1:" + bankB.getAddress().getPort();

      TransactionInfo ok = QuickStart.transfer(cohort.baseUrl(), urlA, urlB, 30);
      assertThat(ok.status()).isEqualTo(GlobalStatus.SUCCEED);
      assertThat(a).containsEntry("alice", 70L);
      assertThat(b).containsEntry("bob", 30L);

      TransactionInfo refused = QuickStart.transfer(cohort.baseUrl(), urlA, urlB, 500);
      assertThat(refused.status()).isEqualTo(GlobalStatus.FAILED);
      assertThat(refused.rollbackReason()).contains("insufficient funds in alice");
      assertThat(a).containsEntry("alice", 70L);
      assertThat(b).containsEntry("bob", 30L);
    } finally {
      bankA.stop(0);
      bankB.stop(0);
    }
  }
}
