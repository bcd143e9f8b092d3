package io.cohort.store.redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Redis Cluster of a few masters (no replicas, no persistence) on free loopback ports, in a temporary directory,
 * started from this machine's {@code redis-server} and {@code redis-cli}, and removed again on {@link #close()} (or
 * when the JVM exits, whichever is first). Takes one to three seconds to come up.
 */
final class ThrowawayCluster implements AutoCloseable {
  private static final Duration STARTUP = Duration.ofSeconds(30);

  private final Path dir;
  private final List<Integer> ports;
  private final List<Process> servers = new ArrayList<>();
  private final Thread cleanup = new Thread(this::stop, "redis-cluster-cleanup");

  private ThrowawayCluster(Path dir, List<Integer> ports) {
    this.dir = dir;
    this.ports = ports;
  }

  /** Whether this machine has what it takes. */
  static boolean available() {
    return onPath("redis-server") && onPath("redis-cli");
  }

  static ThrowawayCluster start(int masters) throws Exception {
    Path dir = Files.createTempDirectory("cohort-redis-cluster");
    ThrowawayCluster cluster = new ThrowawayCluster(dir, freePorts(masters));
    Runtime.getRuntime().addShutdownHook(cluster.cleanup);
    try {
      cluster.startServers();
      cluster.createCluster();
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  List<Integer> ports() {
    return ports;
  }

  /** The nodes as Redis URIs: all of them are seeds. */
  List<String> seeds() {
    return ports.stream().map(p -> "redis://127.0.0.1:" + p).toList();
  }

  private void startServers() throws Exception {
    for (int port : ports) {
      Path nodeDir = Files.createDirectories(dir.resolve(Integer.toString(port)));
      Process server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
          "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
          "--dir", nodeDir.toString(), "--save", "", "--appendonly", "no", "--protected-mode", "no",
          "--daemonize", "no", "--logfile", nodeDir.resolve("redis.log").toString())
          .redirectErrorStream(true)
          .redirectOutput(nodeDir.resolve("stdout.log").toFile())
          .start();
      servers.add(server);
    }
    long deadline = System.nanoTime() + STARTUP.toNanos();
    for (int i = 0; i < ports.size(); i++) {
      while (!"+PONG".equals(command(ports.get(i), "PING"))) {
        if (!servers.get(i).isAlive()) {
          throw new IllegalStateException("redis-server on port " + ports.get(i) + " exited: " + log(ports.get(i)));
        }
        waitUntil(deadline, "redis-server on port " + ports.get(i) + " to answer");
      }
    }
  }

  private void createCluster() throws Exception {
    List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
    ports.forEach(p -> command.add("127.0.0.1:" + p));
    command.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
    Path out = dir.resolve("create.log");
    Process create = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!create.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)) {
      create.destroyForcibly();
      throw new IllegalStateException("redis-cli --cluster create did not finish: " + Files.readString(out));
    }
    if (create.exitValue() != 0) {
      throw new IllegalStateException("redis-cli --cluster create failed: " + Files.readString(out));
    }
    // Every node must see every slot covered before a client can rely on its view.
    long deadline = System.nanoTime() + STARTUP.toNanos();
    for (int port : ports) {
      while (!clusterOk(port)) {
        waitUntil(deadline, "the cluster to be ok on port " + port);
      }
    }
  }

  private static boolean clusterOk(int port) {
    String info = command(port, "CLUSTER INFO");
    return info != null && info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384");
  }

  /** Sends one inline command and returns the raw reply, or {@code null} when the node does not answer. */
  private static String command(int port, String inline) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      s.setSoTimeout(2_000);
      OutputStream out = s.getOutputStream();
      out.write((inline + "\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      // the reply to the command, then "+OK" for QUIT
      int end = reply.lastIndexOf("+OK");
      return (end > 0 ? reply.substring(0, end) : reply).strip();
    } catch (IOException e) {
      return null;
    }
  }

  private static void waitUntil(long deadline, String what) throws InterruptedException {
    if (System.nanoTime() > deadline) {
      throw new IllegalStateException("timed out waiting for " + what);
    }
    // Polling an external process: there is nothing to be notified by.
    Thread.sleep(20);
  }

  private String log(int port) {
    try {
      return Files.readString(dir.resolve(port + "/redis.log"));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Ports {@code p} with {@code p} and the cluster bus port {@code p + 10000} both free. */
  private static List<Integer> freePorts(int n) throws IOException {
    List<Integer> ports = new ArrayList<>();
    for (int tries = 0; ports.size() < n; tries++) {
      if (tries > 1_000) {
        throw new IOException("no free port pairs found");
      }
      int port = ThreadLocalRandom.current().nextInt(20_000, 30_000);
      if (!ports.contains(port) && free(port) && free(port + 10_000)) {
        ports.add(port);
      }
    }
    return ports;
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(File.pathSeparator))
        .anyMatch(d -> Files.isExecutable(Path.of(d, program)));
  }

  /** Stops the servers this cluster started (and only those) and deletes their directory. */
  private synchronized void stop() {
    for (Process p : servers) {
      p.destroy();
    }
    for (Process p : servers) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    servers.clear();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }

  @Override
  public void close() {
    stop();
    try {
      Runtime.getRuntime().removeShutdownHook(cleanup);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs anyway
    }
  }
}
