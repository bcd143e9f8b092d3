package io.cohort.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class LoadRunnerTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void closedLoopCountsSuccessesAndEveryNonSuccessAsAnError() throws Exception {
    try (FakeCoordinator fake = new FakeCoordinator(10);
        LoadRunner runner = new LoadRunner(URI.create(fake.url()), Scenario.SAGA_EMPTY.body("", json), "t-", 4, 64,
            Duration.ofSeconds(5))) {
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      RunStats stats = new RunStats(start, start + TimeUnit.MILLISECONDS.toNanos(700), 20);
      runner.startClosed(4, stats);
      Thread.sleep(950);
      assertThat(runner.stopAndDrain(Duration.ofSeconds(5))).isTrue();

      long ok = stats.measuredOk.sum();
      long errors = stats.measuredErrors.sum();
      assertThat(ok).isPositive();
      assertThat(errors).isPositive();
      // every 10th submit fails; the error share of the window is close to 10%
      assertThat((double) errors / (ok + errors)).isBetween(0.05, 0.15);
      assertThat(stats.errorKinds()).containsKey("HTTP 409");
      assertThat(stats.errorSamples()).isNotEmpty().allSatisfy(s -> assertThat(s).contains("FAILURE"));
      assertThat(stats.measuredLatencies().getTotalCount()).isEqualTo(ok);
      assertThat(stats.sent.sum()).isEqualTo(fake.submits.get());

      Verifier.Outcome v = new Verifier(runner.client(), URI.create(fake.url()), json).verify(stats.gidSample());
      assertThat(v.checked()).isEqualTo(20);
      assertThat(v.problems()).isEmpty();
      assertThat(new Verifier(runner.client(), URI.create(fake.url()), json).verify(java.util.List.of("nope"))
          .problems()).containsExactly("nope: not found");
    }
  }

  @Test
  void openLoopSendsOnScheduleWithUniqueGids() throws Exception {
    try (FakeCoordinator fake = new FakeCoordinator(0);
        LoadRunner runner = new LoadRunner(URI.create(fake.url()), Scenario.SAGA_EMPTY.body("", json), "o-", 64,
            10_000, Duration.ofSeconds(5))) {
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
      long measureStart = start + TimeUnit.MILLISECONDS.toNanos(200);
      RunStats stats = new RunStats(measureStart, measureStart + TimeUnit.SECONDS.toNanos(1), 0);
      runner.startOpen(500, 1000, start, 0, stats);
      Thread.sleep(1300);
      assertThat(runner.stopAndDrain(Duration.ofSeconds(5))).isTrue();
      // 500/s over a 1 s window: 500 scheduled sends, give or take the slot at the edge
      assertThat(stats.measuredOk.sum()).isBetween(499L, 501L);
      assertThat(stats.measuredErrors.sum()).isZero();
      assertThat(fake.acknowledged).hasSize((int) stats.sent.sum());
    }
  }

  @Test
  void openLoopRampsUpDuringTheWarmupThenHoldsTheRate() {
    long second = 1_000_000_000L;
    assertThat(LoadRunner.scheduleOffset(0, 1000, 0)).isZero();
    assertThat(LoadRunner.scheduleOffset(1000, 1000, 0)).isEqualTo(second);
    // a 10 s ramp from 100/s to 1000/s sends 5,500 transactions, then 1000/s
    assertThat(LoadRunner.scheduleOffset(5500, 1000, 10 * second)).isEqualTo(10 * second);
    assertThat(LoadRunner.scheduleOffset(6500, 1000, 10 * second)).isEqualTo(11 * second);
    // the first second of the ramp runs at about 100-190/s
    assertThat(LoadRunner.scheduleOffset(145, 1000, 10 * second)).isBetween(990_000_000L, 1_010_000_000L);
    long previous = -1;
    for (long i = 0; i < 7000; i++) {
      long t = LoadRunner.scheduleOffset(i, 1000, 10 * second);
      assertThat(t).isGreaterThanOrEqualTo(previous);
      previous = t;
    }
  }

  @Test
  void participantsAnswerSuccessCountPerOpAndKeepConnections() throws Exception {
    try (Participants p = new Participants(0)) {
      org.eclipse.jetty.client.HttpClient http = LoadRunner.newClient(1, 10);
      try {
        for (String path : new String[] {"/saga/step1/action", "/saga/step2/action", "/saga/step1/compensate"}) {
          org.eclipse.jetty.client.ContentResponse r = http.newRequest(p.baseUrl() + path + "?gid=g&op=x")
              .method("POST").body(new org.eclipse.jetty.client.StringRequestContent("{\"amount\":30}")).send();
          assertThat(r.getStatus()).isEqualTo(200);
          assertThat(r.getContentAsString()).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        }
      } finally {
        http.stop();
      }
      assertThat(p.actions.sum()).isEqualTo(2);
      assertThat(p.compensations.sum()).isEqualTo(1);
      assertThat(p.connectionsOpened.sum()).isEqualTo(1);
    }
  }

  @Test
  void commandLineRunReportsAResultLineAndFailsOnErrors() throws Exception {
    try (FakeCoordinator fake = new FakeCoordinator(50)) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      PrintStream saved = System.out;
      int code;
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      try {
        code = new CommandLine(new BenchMain()).execute("--target", fake.url(), "--clients", "2", "--warmup", "0s",
            "--duration", "1s", "--verify", "5", "--quiet");
      } finally {
        System.setOut(saved);
      }
      String out = buf.toString(StandardCharsets.UTF_8);
      assertThat(code).as(out).isEqualTo(1);
      assertThat(out).contains("RESULT scenario=saga-empty mode=closed clients=2 tps=")
          .contains("verify       5 of 5 sampled gids")
          .contains("× HTTP 409");
    }
  }

  @Test
  void badArgumentsExitWithTwo() {
    assertThat(new CommandLine(new BenchMain()).execute("--clients", "4", "--rate", "100")).isEqualTo(2);
    assertThat(new CommandLine(new BenchMain()).execute("--scenario", "tcc")).isEqualTo(2);
  }
}
