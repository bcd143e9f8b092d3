package io.cohort.store.jdbc;

import io.cohort.core.model.Transaction;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import javax.sql.DataSource;

/**
 * Shares database commits among concurrent inserts and updates. A commit costs the database far more than the
 * statement before it (a WAL flush, a transaction's bookkeeping, a wake-up of the client), and on a small machine that
 * cost is what bounds a coordinator-only saga, which is two writes and no calls. So callers do not write: they enqueue
 * a {@link Write} and park on it; a few writer threads each take what is queued (up to {@value #MAX_BATCH}), run the
 * writes' statements on one connection in one database transaction, commit once, and only then complete the callers.
 * At low load a writer finds one write and runs it alone, in autocommit: one statement, one round trip, as without
 * batching.
 *
 * <p><b>Same results as one by one.</b> Each write keeps its own statement and its own outcome: an insert-if-absent
 * reports whether it inserted, a compare-and-set update whether its version matched. A batch holds at most one write
 * per gid (a second one waits for the next batch), so no write in a batch sees another's effect, and the outcome of
 * each is what it would have been alone at the moment of the commit. Writes are ordered by gid within a batch, so two
 * writers lock rows in the same order and cannot deadlock each other.
 *
 * <p><b>Failures.</b> If a statement fails (a bug, a corrupt row, a deadlock with a purge), the batch is rolled back,
 * and its writes are run again one by one, each in its own transaction, so a bad write fails alone. If the connection
 * fails, or the commit fails, the outcome is unknown: every write of the batch fails with the error, and callers read
 * again before acting, as with any store error.
 */
final class GroupCommitter {
  static final int MAX_BATCH = 128;
  private static final System.Logger LOG = System.getLogger(GroupCommitter.class.getName());

  /** An insert ({@code insert == true}) or a compare-and-set update; completed with its outcome. */
  static final class Write extends CompletableFuture<Object> {
    final boolean insert;
    final Transaction transaction;
    final byte[] gid;
    final byte[] record;
    final long expectedVersion;
    private final ByteBuffer key;

    Write(boolean insert, Transaction transaction, byte[] gid, byte[] record, long expectedVersion) {
      this.insert = insert;
      this.transaction = transaction;
      this.gid = gid;
      this.record = record;
      this.expectedVersion = expectedVersion;
      this.key = ByteBuffer.wrap(gid);
    }
  }

  /** How a write is executed: on a given connection (inside a batch), or alone. */
  interface Statements {
    /** The write's outcome on {@code c}, inside the batch's transaction; {@code null}: run it alone after commit. */
    Object run(Connection c, Write w) throws SQLException;

    /** The write alone, in its own transaction (with the usual retries and error mapping). */
    Object runAlone(Write w);

    JdbcStoreException failure(String what, SQLException e);
  }

  private static final Write STOP = new Write(false, null, new byte[0], null, 0);

  private final DataSource pool;
  private final Statements statements;
  private final LinkedBlockingQueue<Write> queue = new LinkedBlockingQueue<>();
  private final List<Thread> writers = new ArrayList<>();
  /** Submitters hold the read lock while they enqueue; close takes the write lock, so nothing is queued after STOP. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closing;

  // Counters, for measurements and tests.
  private final java.util.concurrent.atomic.LongAdder batches = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder writes = new java.util.concurrent.atomic.LongAdder();

  GroupCommitter(DataSource pool, Statements statements, int writerCount, String name) {
    this.pool = pool;
    this.statements = statements;
    for (int i = 0; i < writerCount; i++) {
      writers.add(Thread.ofPlatform().name(name + "-writer-" + i).daemon(true).unstarted(this::run));
    }
    writers.forEach(Thread::start);
  }

  /** Enqueues {@code w} and waits for its outcome; rethrows its failure. */
  Object submit(Write w) {
    lifecycle.readLock().lock();
    try {
      if (closing) {
        throw new IllegalStateException("the JDBC store is closed");
      }
      queue.add(w);
    } finally {
      lifecycle.readLock().unlock();
    }
    try {
      return w.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  /** Runs what is queued, then stops the writers. */
  void close() {
    lifecycle.writeLock().lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
      for (int i = 0; i < writers.size(); i++) {
        queue.add(STOP);
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
    for (Thread t : writers) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------------------- writer threads

  private void run() {
    List<Write> batch = new ArrayList<>(MAX_BATCH);
    List<Write> carried = new ArrayList<>();
    Set<ByteBuffer> gids = new HashSet<>();
    boolean stopping = false;
    while (!stopping || !carried.isEmpty()) {
      batch.clear();
      gids.clear();
      for (Iterator<Write> it = carried.iterator(); it.hasNext() && batch.size() < MAX_BATCH; ) {
        Write w = it.next();
        if (gids.add(w.key)) {
          batch.add(w);
          it.remove();
        }
      }
      if (batch.isEmpty() && !stopping) {
        Write first = take();
        if (first == STOP) {
          stopping = true;
          continue;
        }
        gids.add(first.key);
        batch.add(first);
      }
      for (Write w; !stopping && batch.size() < MAX_BATCH && (w = queue.poll()) != null; ) {
        if (w == STOP) {
          stopping = true;
        } else if (gids.add(w.key)) {
          batch.add(w);
        } else {
          carried.add(w);
        }
      }
      try {
        execute(batch);
      } catch (Throwable t) {
        // Never leave a caller parked: whatever escaped fails the writes it did not complete.
        for (Write w : batch) {
          w.completeExceptionally(t);
        }
        LOG.log(System.Logger.Level.ERROR, "JDBC store writer: a batch failed unexpectedly", t);
      }
    }
  }

  private Write take() {
    while (true) {
      try {
        return queue.take();
      } catch (InterruptedException e) {
        // Writers stop through STOP only, so that no queued write is left behind.
      }
    }
  }

  /** Batches run so far (a lone write counts as one). */
  long batches() {
    return batches.sum();
  }

  /** Writes run so far. */
  long writes() {
    return writes.sum();
  }

  private void execute(List<Write> batch) {
    batches.increment();
    writes.add(batch.size());
    if (batch.size() == 1) {
      runAlone(batch.get(0));
      return;
    }
    batch.sort((a, b) -> Arrays.compareUnsigned(a.gid, b.gid));
    Object[] outcomes = new Object[batch.size()];
    boolean committing = false;
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        for (int i = 0; i < outcomes.length; i++) {
          outcomes[i] = statements.run(c, batch.get(i));
        }
        committing = true;
        c.commit();
      } catch (SQLException | RuntimeException e) {
        if (!committing) {
          rollbackQuietly(c);
        }
        throw e;
      } finally {
        restoreAutoCommit(c);
      }
    } catch (SQLException e) {
      if (committing || isConnectionFailure(e)) {
        failAll(batch, statements.failure("batched write of " + batch.size(), e));
      } else {
        batch.forEach(this::runAlone);
      }
      return;
    } catch (RuntimeException e) {
      if (committing) {
        failAll(batch, e);
      } else {
        batch.forEach(this::runAlone);
      }
      return;
    }
    for (int i = 0; i < outcomes.length; i++) {
      if (outcomes[i] == null) {
        runAlone(batch.get(i));
      } else {
        batch.get(i).complete(outcomes[i]);
      }
    }
  }

  private void runAlone(Write w) {
    try {
      w.complete(statements.runAlone(w));
    } catch (RuntimeException e) {
      w.completeExceptionally(e);
    }
  }

  private static void failAll(List<Write> batch, RuntimeException e) {
    for (Write w : batch) {
      w.completeExceptionally(e);
    }
  }

  static boolean isConnectionFailure(SQLException e) {
    String state = e.getSQLState();
    return e instanceof java.sql.SQLTransientConnectionException
        || e instanceof java.sql.SQLNonTransientConnectionException
        || e instanceof java.sql.SQLRecoverableException
        || (state != null && state.startsWith("08"));
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, "rollback of a failed batch failed too", e);
    }
  }

  private static void restoreAutoCommit(Connection c) {
    try {
      c.setAutoCommit(true);
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, "restoring autocommit failed (the pool resets it)", e);
    }
  }
}
