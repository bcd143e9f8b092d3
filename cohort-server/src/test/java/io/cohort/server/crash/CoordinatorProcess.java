package io.cohort.server.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The coordinator as a separate JVM ({@code io.cohort.server.Main}), so that a crash is a real SIGKILL of a real
 * process: no shutdown hook runs, nothing is flushed, the RocksDB lock and every socket are dropped by the kernel. It
 * always listens on the same port with the same flags (the embedded store's data directory, or a shared store and a
 * node id), so a restart is the same coordinator coming back. Its output is appended to one log file, with a marker
 * line per start.
 */
final class CoordinatorProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  /** What the coordinator answered. */
  record Answer(int status, String text) {}

  private final String name;
  private final List<String> storeFlags;
  private final Duration requestTimeout;
  private final Path log;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private volatile Process process;
  private volatile long killedAt;
  private int starts;
  private int kills;

  /** A coordinator on the embedded store in {@code dataDir}, with a 2 s request timeout. */
  CoordinatorProcess(Path dataDir, Path log) {
    this("coordinator", List.of("--store.embedded.dir=" + dataDir), Duration.ofSeconds(2), log);
  }

  /**
   * A coordinator started with {@code storeFlags} (a shared store, {@code --node.id}, ...) instead of an embedded data
   * directory, and {@code requestTimeout} as {@code engine.request-timeout}; {@code name} labels its lines in the test
   * output.
   */
  CoordinatorProcess(String name, List<String> storeFlags, Duration requestTimeout, Path log) {
    this.name = name;
    this.storeFlags = List.copyOf(storeFlags);
    this.requestTimeout = requestTimeout;
    this.log = log;
    this.port = freePort();
  }

  /** Starts the coordinator and waits until it answers {@code /api/ping}. */
  void start() throws IOException {
    assertThat(process == null || !process.isAlive()).as("coordinator already running").isTrue();
    starts++;
    Files.writeString(log, "\n===== start #" + starts + " at " + Instant.now() + " =====\n", StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"),
        "io.cohort.server.Main",
        "--http.host=127.0.0.1",
        "--http.port=" + port,
        "--engine.retry-interval=200ms",
        "--engine.max-retry-interval=1s",
        "--engine.lease-margin=1s",
        "--scheduler.poll-interval=50ms",
        "--engine.timeout-to-fail=1s",
        "--engine.request-timeout=" + requestTimeout.toMillis() + "ms"));
    cmd.addAll(storeFlags);
    long begin = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("COHORT_LOG_LEVEL", "INFO"); // the log tail printed on failure needs the INFO lines
    Process p = pb.start();
    process = p;
    try {
      await(name + " start #" + starts).atMost(START_TIMEOUT).pollDelay(Duration.ZERO)
          .pollInterval(Duration.ofMillis(25)).until(() -> {
            if (!p.isAlive()) {
              throw new AssertionError(name + " exited with " + p.exitValue() + " while starting; log tail:\n"
                  + logTail(40));
            }
            return pingOnce();
          });
      System.out.printf("%s start #%d ready in %d ms%n", name, starts, (System.nanoTime() - begin) / 1_000_000);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(name + " did not answer /api/ping within " + START_TIMEOUT + "; log tail:\n"
          + logTail(40), e);
    }
  }

  /** Sends SIGKILL and returns at once; safe to call from any thread (a participant's reply hook). */
  void killNow() {
    Process p = process;
    if (p != null) {
      killedAt = System.nanoTime();
      p.destroyForcibly();
    }
  }

  /** Waits for the killed process to be gone and checks that it died of SIGKILL, not of anything else. */
  void awaitKilled() throws InterruptedException {
    Process p = process;
    assertThat(p).as("no coordinator was started").isNotNull();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("coordinator still alive 10 s after SIGKILL").isTrue();
    assertThat(p.exitValue()).as("exit code of a SIGKILLed JVM (128 + 9)").isEqualTo(137);
    kills++;
    System.out.printf("%s #%d killed (SIGKILL, gone %d ms later)%n", name, starts,
        (System.nanoTime() - killedAt) / 1_000_000);
  }

  /** SIGKILL, now: no graceful stop. */
  void kill() throws InterruptedException {
    killNow();
    awaitKilled();
  }

  int kills() {
    return kills;
  }

  String name() {
    return name;
  }

  int starts() {
    return starts;
  }

  /**
   * POSTs to the coordinator.
   *
   * @throws IOException when the coordinator is down or died before answering (outcome unknown to the client)
   */
  Answer post(String path, String body) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(15))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }

  /** {@code query?gid=}: the transaction JSON, or null when the coordinator does not know the gid. */
  JsonNode query(String gid) throws IOException, InterruptedException {
    JsonNode t = queryWithBranches(gid).get("transaction");
    return t == null || t.isNull() ? null : t;
  }

  /** {@code query?gid=}: the whole answer, {@code transaction} (null when unknown) and its stored {@code branches}. */
  JsonNode queryWithBranches(String gid) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        uri("/api/dtmsvr/query?gid=" + URLEncoder.encode(gid, StandardCharsets.UTF_8)))
        .timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("query " + gid + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  private boolean pingOnce() {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/api/ping")).timeout(Duration.ofSeconds(2))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** The last {@code lines} lines of the coordinator's output, across all its starts. */
  String logTail(int lines) {
    try {
      if (!Files.exists(log)) {
        return "(no log at " + log + ")";
      }
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "(" + log + ")\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Cleanup only (not a crash point): kills whatever is still running. */
  @Override
  public void close() {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    http.close();
  }
}
