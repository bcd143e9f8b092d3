package io.cohort.server.scheduler;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.server.Rounds;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds due transactions and runs them.
 *
 * <p>Each pass claims a batch from the store with this coordinator's owner token and a lease (request timeout plus
 * margin): the store rewrites each claimed transaction's wake time to the lease end, so no other coordinator takes it
 * while the lease holds, and takes it over when this one dies. Claimed rounds run on virtual threads, bounded by
 * {@link Rounds}. When a batch comes back full the next pass starts at once; otherwise the loop sleeps for the (jittered) poll
 * interval. The loop catches everything and survives clock jumps (it only compares the clock with stored times).
 */
public final class Scheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
  private final TransactionStore store;
  private final Rounds rounds;
  private final InstantSource clock;
  private final String owner;
  private final Duration lease;
  private final Duration poll;
  private final int batch;
  private final Thread thread;
  private volatile boolean running = true;

  public Scheduler(TransactionStore store, Rounds rounds, InstantSource clock, String owner, Duration lease,
      Duration poll, int batch) {
    this.store = store;
    this.rounds = rounds;
    this.clock = clock;
    this.owner = owner;
    this.lease = lease;
    this.poll = poll;
    this.batch = batch;
    this.thread = Thread.ofPlatform().daemon().name("cohort-scheduler").unstarted(this::loop);
  }

  public void start() {
    thread.start();
  }

  private void loop() {
    while (running) {
      int claimed = 0;
      try {
        claimed = passOnce();
      } catch (RuntimeException e) {
        LOG.warn("scheduler pass failed, retrying after {}: {}", poll, e.toString());
      } catch (InterruptedException e) {
        return;
      }
      if (claimed < batch) {
        try {
          // Jittered (50-150 % of the interval), so coordinators sharing a store do not poll in lockstep and the one
          // whose loop happens to run first does not take most of the due work.
          Thread.sleep(Duration.ofNanos((long) (poll.toNanos() * (0.5 + ThreadLocalRandom.current().nextDouble()))));
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Claims and starts one batch; returns how many were claimed. */
  int passOnce() throws InterruptedException {
    int room = Math.min(batch, Math.max(1, rounds.freeSlots()));
    Instant now = clock.instant();
    List<Transaction> due = store.claimDue(now, room, owner, now.plus(lease));
    for (Transaction t : due) {
      rounds.runClaimed(t);
    }
    return due.size();
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
