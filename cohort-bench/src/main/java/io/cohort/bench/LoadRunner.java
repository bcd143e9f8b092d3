package io.cohort.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Submits transactions to the coordinator with Jetty's asynchronous HTTP client.
 *
 * <p><b>Why asynchronous.</b> The bench shares a small machine with the coordinator it measures, so every
 * microsecond of CPU it spends is taken from the coordinator. A client here is not a thread but a callback chain:
 * sending costs a few objects, and a handful of client threads serve any number of outstanding requests.
 *
 * <p><b>Closed loop</b> ({@link #startClosed}): each of N clients sends its next transaction the moment the previous
 * one was answered. Throughput is what the coordinator sustains at that concurrency; latency is per request.
 *
 * <p><b>Open loop</b> ({@link #startOpen}): one pacer thread sends transaction {@code i} at {@code t0 + i/R} whatever
 * happened to the earlier ones, and latency is measured from that <em>scheduled</em> time, not from when the request
 * actually left. When the coordinator (or the client's connection pool) falls behind, the queueing delay is therefore
 * part of the measured latency instead of silently lowering the offered load ("coordinated omission"). A cap on
 * outstanding requests ({@code maxInFlight}) keeps an overloaded run from exhausting memory; when it is reached the
 * pacer waits, and those waits, too, count against latency because the schedule does not move.
 *
 * <p>Every transaction has a fresh gid: {@code <prefix><sequence>}.
 */
final class LoadRunner implements AutoCloseable {
  private static final String SUCCESS = "\"dtm_result\":\"SUCCESS\"";

  private final HttpClient client;
  private final URI submit;
  private final Scenario.Body body;
  private final String gidPrefix;
  private final long timeoutMillis;
  private final AtomicLong sequence = new AtomicLong();
  private final ScheduledExecutorService retryDelay = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("bench-backoff").factory());
  private volatile boolean stopped;
  private RunStats stats;
  private Thread pacer;

  /**
   * @param target the coordinator's base URL
   * @param connections the most connections to the coordinator
   * @param maxQueued the most requests waiting for a connection in the client
   */
  LoadRunner(URI target, Scenario.Body body, String gidPrefix, int connections, int maxQueued, Duration timeout) {
    this.submit = target.resolve("/api/dtmsvr/submit");
    this.body = body;
    this.gidPrefix = gidPrefix;
    this.timeoutMillis = timeout.toMillis();
    this.client = newClient(connections, maxQueued);
  }

  /** A lean client: few threads, no User-Agent, no redirects, a large pool to one destination. */
  static HttpClient newClient(int connections, int maxQueued) {
    QueuedThreadPool pool = new QueuedThreadPool(16, 2);
    pool.setName("bench-client");
    pool.setDaemon(true);
    HttpClient c = new HttpClient();
    c.setExecutor(pool);
    c.setMaxConnectionsPerDestination(connections);
    c.setMaxRequestsQueuedPerDestination(maxQueued);
    c.setFollowRedirects(false);
    c.setUserAgentField(null);
    c.setIdleTimeout(120_000);
    c.setConnectTimeout(10_000);
    try {
      c.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the HTTP client: " + e, e);
    }
    return c;
  }

  HttpClient client() {
    return client;
  }

  /** Starts {@code clients} closed-loop clients; they stop sending at {@code stats.measureEnd}. */
  void startClosed(int clients, RunStats stats) {
    this.stats = stats;
    for (int i = 0; i < clients; i++) {
      nextClosed();
    }
  }

  private void nextClosed() {
    long now = System.nanoTime();
    if (stopped || now >= stats.measureEnd) {
      return;
    }
    send(now, ok -> {
      if (ok) {
        nextClosed();
      } else {
        // A failing coordinator answers at once; back off briefly instead of spinning (and recursing) on errors.
        retryDelay.schedule(this::nextClosed, 10, TimeUnit.MILLISECONDS);
      }
    });
  }

  /**
   * Starts the pacer: from {@code start}, a rate that ramps linearly from 10% to {@code rate} over {@code ramp}
   * (the warm-up: a cold JVM would otherwise be buried under a backlog before the window opens), then {@code rate}
   * transactions per second until {@code stats.measureEnd}, at most {@code maxInFlight} outstanding.
   */
  void startOpen(double rate, int maxInFlight, long start, long ramp, RunStats stats) {
    this.stats = stats;
    Semaphore slots = new Semaphore(maxInFlight);
    pacer = Thread.ofPlatform().name("bench-pacer").daemon().start(() -> {
      long i = 0;
      while (!stopped) {
        long scheduled = start + scheduleOffset(i, rate, ramp);
        if (scheduled >= stats.measureEnd) {
          return;
        }
        long wait = scheduled - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
          continue;
        }
        slots.acquireUninterruptibly();
        send(scheduled, ok -> slots.release());
        i++;
      }
    });
  }

  /**
   * When (nanoseconds after the start) transaction {@code i} is due: the rate ramps linearly from {@code a = 10%} of
   * {@code rate} to all of it over {@code ramp}, so the count sent by time t is {@code R (a t + (1-a) t^2 / 2W)}
   * during the ramp and grows by R per second after it; this inverts that count.
   */
  static long scheduleOffset(long i, double rate, long ramp) {
    double perNano = rate / 1e9;
    if (ramp <= 0) {
      return (long) (i / perNano);
    }
    double a = 0.1;
    double w = ramp;
    double sentByRampEnd = perNano * w * (1 + a) / 2;
    if (i >= sentByRampEnd) {
      return (long) (w + (i - sentByRampEnd) / perNano);
    }
    double qa = (1 - a) * perNano / (2 * w);
    double qb = a * perNano;
    return (long) ((-qb + Math.sqrt(qb * qb + 4 * qa * i)) / (2 * qa));
  }

  /** Sends one submit; {@code then} gets whether it was acknowledged with 200 SUCCESS. */
  private void send(long intended, Consumer<Boolean> then) {
    String gid = gidPrefix + sequence.incrementAndGet();
    stats.sent();
    try {
      client.newRequest(submit)
          .method(HttpMethod.POST)
          .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
          .body(new BytesRequestContent("application/json", body.forGid(gid)))
          .send(new BufferingResponseListener(16 * 1024) {
            @Override
            public void onComplete(Result result) {
              long end = System.nanoTime();
              boolean ok = false;
              if (result.isFailed()) {
                Throwable f = result.getFailure();
                stats.failure(intended, end, "transport " + f.getClass().getSimpleName(), gid + " " + f.getMessage());
              } else {
                int status = result.getResponse().getStatus();
                String content = getContentAsString(StandardCharsets.UTF_8);
                if (status == 200 && content != null && content.contains(SUCCESS)) {
                  stats.success(gid, intended, end);
                  ok = true;
                } else {
                  stats.failure(intended, end, "HTTP " + status, gid + " " + content);
                }
              }
              then.accept(ok);
            }
          });
    } catch (RuntimeException e) {
      stats.failure(intended, System.nanoTime(), "client " + e.getClass().getSimpleName(), gid + " " + e.getMessage());
      then.accept(false);
    }
  }

  /** Stops sending and waits up to {@code timeout} for outstanding transactions; returns whether all completed. */
  boolean stopAndDrain(Duration timeout) throws InterruptedException {
    stopped = true;
    if (pacer != null) {
      pacer.join(timeout.toMillis());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (stats.inFlight() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return stats.inFlight() == 0;
  }

  @Override
  public void close() {
    stopped = true;
    retryDelay.shutdownNow();
    try {
      client.stop();
    } catch (Exception e) {
      // shutting down
    }
  }
}
