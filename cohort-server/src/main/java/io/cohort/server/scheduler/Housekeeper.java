package io.cohort.server.scheduler;

import io.cohort.core.port.TransactionStore;
import java.time.Duration;
import java.time.InstantSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes finished transactions older than the retention, in small batches, every purge interval. Catches
 * everything: a failed pass is logged and tried again next time.
 */
public final class Housekeeper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Housekeeper.class);
  private static final int BATCH = 1000;
  private final TransactionStore store;
  private final InstantSource clock;
  private final Duration retention;
  private final Duration interval;
  private final Thread thread;
  private volatile boolean running = true;

  public Housekeeper(TransactionStore store, InstantSource clock, Duration retention, Duration interval) {
    this.store = store;
    this.clock = clock;
    this.retention = retention;
    this.interval = interval;
    this.thread = Thread.ofVirtual().name("cohort-housekeeper").unstarted(this::loop);
  }

  public void start() {
    thread.start();
  }

  private void loop() {
    while (running) {
      try {
        int n = purgeOnce();
        if (n > 0) {
          LOG.info("deleted {} finished transactions older than {}", n, retention);
        }
      } catch (RuntimeException e) {
        LOG.warn("purge of finished transactions failed: {}", e.toString());
      }
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Deletes everything past retention now; returns how many were deleted. */
  public int purgeOnce() {
    int total = 0;
    while (true) {
      int n = store.purgeFinished(clock.instant().minus(retention), BATCH);
      total += n;
      if (n < BATCH) {
        return total;
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
