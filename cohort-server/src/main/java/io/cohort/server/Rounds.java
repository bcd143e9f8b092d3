package io.cohort.server;

import io.cohort.core.engine.Engine;
import io.cohort.core.model.Transaction;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs processing rounds on virtual threads. Rounds started by the scheduler are bounded by a semaphore; rounds
 * started by a client's submit are not (the client is waiting, and the HTTP server bounds them). A round that throws
 * (a store error) is logged with its gid and left for the scheduler: its lease runs out and it is claimed again.
 */
public final class Rounds implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Rounds.class);
  private final Engine engine;
  private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
      Thread.ofVirtual().name("round-", 0).factory());
  private final Semaphore bound;
  private final int maxConcurrent;

  public Rounds(Engine engine, int maxConcurrent) {
    this.engine = engine;
    this.bound = new Semaphore(maxConcurrent);
    this.maxConcurrent = maxConcurrent;
  }

  /** Runs a round on the caller's thread (submit with {@code wait_result}). */
  public Transaction runNow(Transaction owned) {
    return engine.drive(owned);
  }

  /** Runs a round in the background (submit without {@code wait_result}). */
  public void runAsync(Transaction owned) {
    executor.execute(() -> guarded(owned));
  }

  /** Runs a claimed round in the background, waiting for a free slot first. */
  public void runClaimed(Transaction claimed) throws InterruptedException {
    bound.acquire();
    try {
      executor.execute(() -> {
        try {
          guarded(claimed);
        } finally {
          bound.release();
        }
      });
    } catch (RuntimeException e) {
      bound.release();
      throw e;
    }
  }

  /** How many more claimed rounds could start now. */
  public int freeSlots() {
    return bound.availablePermits();
  }

  private void guarded(Transaction t) {
    try {
      engine.drive(t);
    } catch (RuntimeException e) {
      LOG.warn("gid={}: round failed, will be retried after its lease: {}", t.gid(), e.toString());
    }
  }

  /** Stops taking rounds and waits up to {@code grace} for running ones. */
  public void shutdown(Duration grace) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{} rounds still running after {}; they resume after restart", maxConcurrent - bound.availablePermits(), grace);
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    shutdown(Duration.ZERO);
  }
}
