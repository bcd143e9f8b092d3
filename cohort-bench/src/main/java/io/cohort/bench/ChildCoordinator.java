package io.cohort.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A coordinator started by the bench ({@code --start-server}): a child JVM running {@code cohort-server.jar} on
 * loopback, a free port, and a fresh temporary data directory on the embedded store with synced writes (unless told
 * otherwise). Its output goes to {@code server.log} next to the data; the effective configuration block, warnings and
 * errors are echoed with a {@code [server]} prefix. {@link #close} stops it with SIGTERM (the coordinator's shutdown
 * hook closes the store cleanly), waits, and deletes the directory unless it is to be kept.
 */
final class ChildCoordinator implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final Path root;
  private final Path log;
  private final URI uri;
  private final boolean keep;
  private final PrintStream out;
  private final Deque<String> tail = new ArrayDeque<>();
  private final Thread pump;

  private ChildCoordinator(Process process, Path root, Path log, URI uri, boolean keep, PrintStream out) {
    this.process = process;
    this.root = root;
    this.log = log;
    this.uri = uri;
    this.keep = keep;
    this.out = out;
    this.pump = Thread.ofPlatform().daemon().name("server-log").start(this::pumpOutput);
  }

  /**
   * Starts the coordinator and waits until {@code /api/ping} answers.
   *
   * @param jar cohort-server.jar
   * @param jvmOptions flags for the child JVM (heap, GC, JFR, ...)
   * @param sync the value of {@code store.embedded.sync}
   * @param extraArgs further coordinator flags, e.g. {@code --scheduler.poll-interval=1s}
   */
  static ChildCoordinator start(Path jar, List<String> jvmOptions, boolean sync, List<String> extraArgs, boolean keep,
      PrintStream out) throws IOException, InterruptedException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("--start-server: no such file " + jar.toAbsolutePath()
          + " (build it with ./mvnw -q -DskipTests package)");
    }
    Path root = Files.createTempDirectory("cohort-bench-");
    Path data = root.resolve("data");
    Path log = root.resolve("server.log");
    int port = freePort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    cmd.add("--http.host=127.0.0.1");
    cmd.add("--http.port=" + port);
    // The bench's defaults, unless an extra flag sets the same key (the coordinator refuses a key given twice).
    for (String flag : List.of("--store.type=embedded", "--store.embedded.dir=" + data,
        "--store.embedded.sync=" + sync)) {
      String key = flag.substring(0, flag.indexOf('=') + 1);
      if (extraArgs.stream().noneMatch(a -> a.startsWith(key))) {
        cmd.add(flag);
      }
    }
    cmd.addAll(extraArgs);
    out.println("[server] starting: " + String.join(" ", cmd));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    ChildCoordinator child = new ChildCoordinator(p, root, log, URI.create("http://127.0.0.1:" + port), keep, out);
    try {
      child.awaitReady();
    } catch (IOException | RuntimeException | InterruptedException e) {
      child.close();
      throw e;
    }
    return child;
  }

  URI uri() {
    return uri;
  }

  ProcessHandle handle() {
    return process.toHandle();
  }

  Path log() {
    return log;
  }

  private void awaitReady() throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("the coordinator exited with status " + process.exitValue() + " before it was ready;"
            + " last output:\n" + tail());
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri.resolve("/api/ping"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new IOException("the coordinator did not answer /api/ping within " + START_TIMEOUT.toSeconds()
        + " s; last output:\n" + tail());
  }

  /** Copies the child's output to server.log; echoes the effective configuration, warnings and errors. */
  private void pumpOutput() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        PrintWriter file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
      boolean inConfig = false;
      String line;
      while ((line = in.readLine()) != null) {
        file.println(line);
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > 40) {
            tail.removeFirst();
          }
        }
        if (line.contains("effective configuration:")) {
          inConfig = true;
          out.println("[server] " + line);
        } else if (inConfig && line.startsWith("  ")) {
          out.println("[server] " + line);
        } else {
          inConfig = false;
          if (line.contains(" WARN ") || line.contains(" ERROR ") || line.contains("listening on")
              || line.contains("[jfr,startup] Started recording") || line.startsWith("Exception")) {
            out.println("[server] " + line);
          }
        }
      }
    } catch (IOException e) {
      // the child is gone
    }
  }

  private String tail() {
    synchronized (tail) {
      return String.join("\n", tail);
    }
  }

  /** Stops the coordinator: SIGTERM, then SIGKILL after 30 s; removes its directory unless kept. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          out.println("[server] did not stop within 30 s; killing it");
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try {
      pump.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (keep) {
      out.println("[server] stopped; data and server.log kept in " + root);
      return;
    }
    deleteTree(root);
    out.println("[server] stopped; temporary data deleted");
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("cohort-bench: could not delete " + root + ": " + e.getMessage());
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
