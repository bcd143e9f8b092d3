package io.cohort.client.xa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.xa.PGXADataSource;

/**
 * Bad input "a database without XA enabled": a throwaway PostgreSQL cluster with the default
 * {@code max_prepared_transactions = 0}, started for this class only, on a free port and a socket directory of its
 * own, and always stopped and deleted afterwards. PostgreSQL refuses to run as root, so the cluster runs as the
 * {@code postgres} user (the build runs as root on the CI machine); the test is skipped where that is impossible.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class XaNotEnabledPostgresTest {
  private static final long STEP_TIMEOUT_SECONDS = 60;

  private static Path dir;
  private static Path data;
  private static Path bin;
  private static int port;
  private static boolean started;

  @BeforeAll
  static void startThrowawayCluster() throws Exception {
    bin = postgresBin();
    assumeTrue(bin != null, "no PostgreSQL server binaries under /usr/lib/postgresql");
    assumeTrue(new File("/usr/sbin/runuser").canExecute() || new File("/usr/bin/runuser").canExecute(),
        "runuser is needed to run PostgreSQL as the postgres user");
    assumeTrue("root".equals(System.getProperty("user.name")), "only root can start a cluster as the postgres user");
    dir = Files.createTempDirectory("cohort-xa-pg-");
    data = dir.resolve("data");
    UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
    Files.setOwner(dir, postgres);
    run("initdb", bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "postgres", "-A", "trust",
        "--no-sync");
    port = freePort();
    started = true; // from here on, always try to stop: pg_ctl may have started the server before failing
    run("pg_ctl start", bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log")
        .toString(), "-w", "-t", "30", "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "start");
  }

  @AfterAll
  static void stopAndDeleteCluster() throws Exception {
    try {
      if (started) {
        try {
          run("pg_ctl stop", bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "-t",
              "30", "stop");
        } catch (IOException | AssertionError e) {
          killPostmaster();
          throw e;
        }
      }
    } finally {
      if (dir != null) {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @Test
  void createRefusesPostgresWithoutPreparedTransactionsAndNamesTheFix() {
    PGXADataSource ds = new PGXADataSource();
    ds.setUrl("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres");
    CountingXaDataSource counting = new CountingXaDataSource(ds);

    assertThatThrownBy(() -> XaParticipant.create(counting))
        .isInstanceOfSatisfying(XaNotEnabledException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessageContaining("max_prepared_transactions = 0")
        .hasMessageContaining("set max_prepared_transactions > 0 in postgresql.conf")
        .hasMessageContaining("restart");
    assertThat(counting.opened()).isEqualTo(1);
    assertThat(counting.open()).as("the checking connection is closed").isZero();
  }

  private static Path postgresBin() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (Stream<Path> versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
          .max(Comparator.comparing(b -> b.getParent().getFileName().toString(),
              Comparator.comparingInt(XaNotEnabledPostgresTest::versionNumber)))
          .orElse(null);
    }
  }

  private static int versionNumber(String name) {
    try {
      return Integer.parseInt(name.replaceAll("[^0-9].*$", ""));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Runs {@code command} as the postgres user with a time limit; fails with its output if it does not succeed. */
  private static void run(String what, String... command) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    argv.addAll(List.of(command));
    Path log = Files.createTempFile("cohort-xa-pg-cmd-", ".log");
    try {
      Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      if (!p.waitFor(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(what + " did not finish in " + STEP_TIMEOUT_SECONDS + " s: "
            + Files.readString(log, StandardCharsets.UTF_8));
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(what + " failed with exit code " + p.exitValue() + ": "
            + Files.readString(log, StandardCharsets.UTF_8));
      }
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** Last resort when pg_ctl cannot stop the cluster: kill the postmaster this class started, by its pid. */
  private static void killPostmaster() throws IOException, InterruptedException {
    Path pidFile = data.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    String pid = Files.readAllLines(pidFile, StandardCharsets.UTF_8).get(0).strip();
    if (pid.matches("\\d+")) {
      Process kill = new ProcessBuilder("kill", "-9", pid).inheritIO().start();
      kill.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
