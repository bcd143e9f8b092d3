package io.cohort.compat.dtmcli;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import pub.dtm.client.DtmClient;

/**
 * One coordinator, two participant services ({@code bank-a}, {@code bank-b}) sharing a call log, and the official
 * client pointed at the coordinator by {@code host:port}, fresh for every test.
 */
abstract class DtmcliTestBase {
  protected Coordinator cohort;
  protected Participant.Log log;
  protected Participant bankA;
  protected Participant bankB;
  protected DtmClient client;

  /** A transfer body; Jackson writes a record's components in declaration order, so the JSON text is predictable. */
  record Transfer(String account, int amount) {}

  @BeforeEach
  void startAll() throws Exception {
    cohort = Coordinator.start();
    log = new Participant.Log();
    bankA = Participant.start("bank-a", log);
    bankB = Participant.start("bank-b", log);
    client = new DtmClient(cohort.endpoint());
  }

  @AfterEach
  void stopAll() {
    if (bankA != null) {
      bankA.close();
    }
    if (bankB != null) {
      bankB.close();
    }
    if (cohort != null) {
      cohort.close();
    }
  }

  static String gid(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  /** Waits until the coordinator reports {@code status} for {@code gid} (processing after submit is asynchronous). */
  void awaitStatus(String gid, String status) {
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(20))
        .until(() -> status.equals(cohort.status(gid)));
  }
}
