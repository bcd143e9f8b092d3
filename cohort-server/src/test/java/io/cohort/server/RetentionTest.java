package io.cohort.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cohort.server.support.TestCoordinator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finished transactions stay queryable for the retention, then the background job deletes them; others stay. */
class RetentionTest {
  @TempDir Path dir;

  @Test
  void finishedTransactionsAreDeletedAfterRetentionAndUnfinishedOnesAreKept() throws Exception {
    try (TestCoordinator dtm = TestCoordinator.embedded(dir,
        Map.of("retention.finished", "2s", "retention.purge-interval", "200ms", "engine.timeout-to-fail", "1h"))) {
      var done = dtm.post("/api/dtmsvr/submit", """
          {"gid":"ret-done","trans_type":"saga","wait_result":true,"steps":[{"action":"","compensate":""}]}""");
      assertThat(done.status()).isEqualTo(200);
      var pending = dtm.post("/api/dtmsvr/prepare", """
          {"gid":"ret-pending","trans_type":"msg","query_prepared":"http://127.0.0.1:9/qp","steps":[{"action":""}]}""");
      assertThat(pending.status()).isEqualTo(200);

      // Still there right after finishing: retention has not passed.
      assertThat(dtm.status("ret-done")).isEqualTo("succeed");

      await().atMost(Duration.ofSeconds(20)).until(() -> dtm.query("ret-done") == null);
      assertThat(dtm.status("ret-pending")).isEqualTo("prepared");
    }
  }
}
