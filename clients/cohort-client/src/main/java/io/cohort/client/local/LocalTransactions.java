package io.cohort.client.local;

import io.cohort.client.internal.Attempts;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import javax.sql.DataSource;

/**
 * Runs a unit of {@link Work} in a local database transaction it owns: take a connection, turn auto-commit off, run
 * the work, commit; on any throwable roll back. Serialization failures and deadlocks are retried with capped,
 * jittered exponential backoff; a caller's deadline becomes a statement timeout; the connection is always returned.
 *
 * <p><b>Retried errors</b> (looked for in the whole cause chain and in {@link SQLException#getNextException()}):
 * SQLState {@code 40001} (serialization failure, any database), {@code 40P01} (PostgreSQL deadlock), and the
 * MySQL/MariaDB error codes 1213 (deadlock) and 1205 (lock wait timeout). The whole unit is repeated in a fresh
 * transaction on a fresh connection; nothing else is retried. When the last allowed attempt fails that way a
 * {@link RetriesExhaustedException} carries the attempt count and the last error.
 *
 * <p><b>What the caller sees otherwise.</b> The work's result after a successful commit. An unchecked exception or
 * an {@link Error} from the work, the commit or the driver is rethrown as it is (after the rollback), so existing
 * {@code catch} clauses keep working. A checked exception (including {@link SQLException}) is wrapped in a
 * {@link LocalTransactionException} whose cause it is. Failures while rolling back, restoring the session or
 * closing are attached as {@linkplain Throwable#getSuppressed() suppressed} exceptions of the primary one.
 *
 * <p><b>Deadline.</b> {@link #run(Instant, Work)} computes the remaining time before each attempt. If none is left
 * it throws {@link DeadlineExceededException} without taking a connection. Otherwise it bounds every statement of
 * the attempt by the remaining time on the server, because {@link java.sql.Statement#setQueryTimeout} is out of
 * reach when the work creates its own statements: PostgreSQL {@code SET LOCAL statement_timeout} (undone by the
 * end of the transaction), MariaDB {@code SET SESSION max_statement_time} and MySQL {@code SET SESSION
 * max_execution_time} (read before and restored after the transaction, so the pooled connection goes back as it
 * came). A statement cancelled that way ends the call with {@link DeadlineExceededException}; it is never retried.
 * A backoff that would outlive the deadline is not slept: the call fails at once with that exception.
 *
 * <p>Immutable and thread-safe; one instance per data source is enough.
 */
public final class LocalTransactions {
  private static final Set<String> RETRYABLE_STATES = Set.of("40001", "40P01");
  private static final int MYSQL_DEADLOCK = 1213;
  private static final int MYSQL_LOCK_WAIT_TIMEOUT = 1205;

  private final DataSource dataSource;
  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final double jitter;
  private final Integer isolation;
  private final InstantSource clock;
  private final Sleeper sleeper;
  private final DoubleSupplier random;

  private LocalTransactions(Builder b) {
    this.dataSource = b.dataSource;
    this.maxAttempts = b.maxAttempts;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.jitter = b.jitter;
    this.isolation = b.isolation;
    this.clock = b.clock;
    this.sleeper = b.sleeper;
    this.random = b.random;
  }

  /** A builder over {@code dataSource} with the defaults documented on each setter. */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /** Defaults over {@code dataSource}: 5 attempts, backoff 20 ms doubling up to 1 s, 20 % jitter. */
  public static LocalTransactions create(DataSource dataSource) {
    return builder(dataSource).build();
  }

  /** Runs {@code work} without a deadline. See the class comment for what is thrown. */
  public <T> T run(Work<T> work) {
    return execute(null, work);
  }

  /**
   * Runs {@code work} so that it ends by {@code deadline}, as measured by this runner's clock.
   *
   * @throws DeadlineExceededException when the deadline passed before or during an attempt
   */
  public <T> T run(Instant deadline, Work<T> work) {
    return execute(Objects.requireNonNull(deadline, "deadline"), work);
  }

  private <T> T execute(Instant deadline, Work<T> work) {
    Objects.requireNonNull(work, "work");
    Throwable last = null;
    Object run = new Object();
    for (int attempt = 1; ; attempt++) {
      Duration remaining = null;
      if (deadline != null) {
        remaining = Duration.between(clock.instant(), deadline);
        if (remaining.isNegative() || remaining.isZero()) {
          throw new DeadlineExceededException("deadline " + deadline + " passed before attempt " + attempt
              + " could start", attempt - 1, last);
        }
      }
      Throwable failure;
      Attempts.Attempt outer = Attempts.enter(new Attempts.Attempt(run, attempt));
      try {
        return attempt(work, remaining);
      } catch (Throwable t) {
        failure = t;
      } finally {
        Attempts.leave(outer);
      }
      if (deadline != null && isStatementTimeout(failure)) {
        throw new DeadlineExceededException("a statement of attempt " + attempt + " was cancelled by the timeout"
            + " derived from deadline " + deadline, attempt, failure);
      }
      if (!isRetryable(failure)) {
        throw unretryable(failure);
      }
      last = failure;
      if (attempt >= maxAttempts) {
        throw new RetriesExhaustedException(attempt, failure);
      }
      Duration pause = backoff(attempt);
      if (deadline != null && !clock.instant().plus(pause).isBefore(deadline)) {
        throw new DeadlineExceededException("the backoff after attempt " + attempt + " would outlive deadline "
            + deadline, attempt, failure);
      }
      try {
        sleeper.sleep(pause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        e.addSuppressed(failure);
        throw new LocalTransactionException("interrupted while backing off after attempt " + attempt, false, e);
      }
    }
  }

  /** One attempt on one connection. Every path closes the connection; secondary failures become suppressed. */
  private <T> T attempt(Work<T> work, Duration remaining) throws Exception {
    try (Connection conn = dataSource.getConnection()) {
      boolean autoCommit = conn.getAutoCommit();
      int previousIsolation = isolation == null ? -1 : conn.getTransactionIsolation();
      Throwable primary = null;
      try {
        if (isolation != null && previousIsolation != isolation) {
          conn.setTransactionIsolation(isolation);
        }
        if (autoCommit) {
          conn.setAutoCommit(false);
        }
        TimeoutDialect.Restore restore = TimeoutDialect.Restore.NOTHING;
        try {
          if (remaining != null) {
            restore = TimeoutDialect.detect(conn).apply(conn, remaining);
          }
          T result = work.apply(conn);
          conn.commit();
          return result;
        } catch (Throwable t) {
          primary = t;
          try {
            conn.rollback();
          } catch (Throwable r) {
            t.addSuppressed(r);
          }
          throw t;
        } finally {
          primary = restoreQuietly(restore::run, primary, conn);
        }
      } catch (Throwable t) {
        primary = t;
        throw t;
      } finally {
        if (autoCommit) {
          primary = restoreQuietly(() -> conn.setAutoCommit(true), primary, conn);
        }
        if (isolation != null && previousIsolation != isolation) {
          primary = restoreQuietly(() -> conn.setTransactionIsolation(previousIsolation), primary, conn);
        }
      }
    }
  }

  /**
   * Runs one session restore step. After a failure its error is suppressed into the primary one. After a success it
   * is swallowed, because the transaction is committed and reporting a failure would invite a duplicate retry;
   * the connection is then aborted so the pool discards it instead of lending out a session in an unknown state.
   */
  private static Throwable restoreQuietly(TimeoutDialect.Restore step, Throwable primary, Connection conn) {
    try {
      step.run();
    } catch (Throwable t) {
      if (primary != null) {
        primary.addSuppressed(t);
      } else {
        try {
          conn.abort(Runnable::run);
        } catch (Throwable ignored) {
          // closing in the caller's try-with-resources is all that is left
        }
      }
    }
    return primary;
  }

  private Duration backoff(int attempt) {
    Duration d = initialBackoff;
    for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
      d = d.multipliedBy(2);
    }
    if (d.compareTo(maxBackoff) > 0) {
      d = maxBackoff;
    }
    if (jitter > 0) {
      long nanos = d.toNanos();
      d = Duration.ofNanos(nanos - (long) (nanos * jitter * random.getAsDouble()));
    }
    return d;
  }

  private static RuntimeException unretryable(Throwable failure) {
    if (failure instanceof RuntimeException re) {
      return re;
    }
    if (failure instanceof Error e) {
      throw e;
    }
    if (failure instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new LocalTransactionException("local transaction rolled back: " + failure,
        failure instanceof SQLTransientException, failure);
  }

  /** Whether a serialization failure, deadlock or lock wait timeout is anywhere in {@code t}'s causes. */
  static boolean isRetryable(Throwable t) {
    for (Throwable c : chain(t)) {
      if (c instanceof SQLException e && (e.getSQLState() != null && RETRYABLE_STATES.contains(e.getSQLState())
          || e.getErrorCode() == MYSQL_DEADLOCK || e.getErrorCode() == MYSQL_LOCK_WAIT_TIMEOUT)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isStatementTimeout(Throwable t) {
    for (Throwable c : chain(t)) {
      if (c instanceof SQLException e) {
        for (TimeoutDialect d : TimeoutDialect.values()) {
          if (d.isTimeout(e)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The causes and chained SQL exceptions of {@code t}, each once (cycles are possible in the wild). */
  private static Iterable<Throwable> chain(Throwable t) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    ArrayDeque<Throwable> todo = new ArrayDeque<>();
    todo.add(t);
    while (!todo.isEmpty() && seen.size() < 64) {
      Throwable c = todo.poll();
      if (c == null || seen.put(c, Boolean.TRUE) != null) {
        continue;
      }
      if (c.getCause() != null) {
        todo.add(c.getCause());
      }
      if (c instanceof SQLException e && e.getNextException() != null) {
        todo.add(e.getNextException());
      }
    }
    return seen.keySet();
  }

  /** Immutable options, validated by {@link #build()}. */
  public static final class Builder {
    private final DataSource dataSource;
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofMillis(20);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private double jitter = 0.2;
    private Integer isolation;
    private InstantSource clock = InstantSource.system();
    private Sleeper sleeper = Sleeper.system();
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** How many times the work may start in total, at least 1 (no retry). Default 5. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The pause after the first failed attempt, doubled after each further one. Default 20 ms. */
    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = Objects.requireNonNull(initialBackoff, "initialBackoff");
      return this;
    }

    /** The cap of the pause. Default 1 s. */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = Objects.requireNonNull(maxBackoff, "maxBackoff");
      return this;
    }

    /** Fraction in [0, 1] by which each pause is shortened at random, to part colliding retriers. Default 0.2. */
    public Builder jitter(double jitter) {
      this.jitter = jitter;
      return this;
    }

    /**
     * A {@link Connection} {@code TRANSACTION_*} level set for the transaction and restored afterwards; by default
     * the connection's own level is kept.
     */
    public Builder isolation(int isolation) {
      this.isolation = isolation;
      return this;
    }

    /** The clock deadlines are measured with. Default the system clock. */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How backoff pauses are waited. Default {@link Sleeper#system()}. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    /** Source of uniform doubles in [0, 1) for the jitter. Default {@link ThreadLocalRandom}. */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Validates and seals the options.
     *
     * @throws IllegalArgumentException naming the first invalid option
     */
    public LocalTransactions build() {
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
      }
      if (initialBackoff.isNegative() || maxBackoff.isNegative()) {
        throw new IllegalArgumentException("backoff durations must not be negative");
      }
      if (maxBackoff.compareTo(initialBackoff) < 0) {
        throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is below initialBackoff " + initialBackoff);
      }
      if (!(jitter >= 0 && jitter <= 1)) {
        throw new IllegalArgumentException("jitter must be within [0, 1], was " + jitter);
      }
      if (isolation != null && isolation != Connection.TRANSACTION_READ_UNCOMMITTED
          && isolation != Connection.TRANSACTION_READ_COMMITTED && isolation != Connection.TRANSACTION_REPEATABLE_READ
          && isolation != Connection.TRANSACTION_SERIALIZABLE) {
        throw new IllegalArgumentException("isolation must be a Connection.TRANSACTION_* level, was " + isolation);
      }
      return new LocalTransactions(this);
    }
  }
}
