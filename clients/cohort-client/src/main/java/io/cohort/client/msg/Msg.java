package io.cohort.client.msg;

import io.cohort.client.CohortClientException;
import io.cohort.client.CoordinatorException;
import io.cohort.client.TransactionBuilder;
import io.cohort.client.TransactionFailedException;
import io.cohort.client.barrier.BarrierOutcome;
import io.cohort.client.barrier.BarrierResult;
import io.cohort.client.barrier.BarrierWork;
import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.JdbcBarrier;
import io.cohort.client.internal.ClientRuntime;
import io.cohort.client.internal.HttpCoordinator;
import io.cohort.client.internal.Urls;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A 2-phase message: a local database transaction plus the guarantee that the message's actions are delivered if,
 * and only if, it committed.
 *
 * <p>The easy path is {@link #doAndSubmitDb}: prepare the message at the coordinator, run the local business in a
 * database transaction together with the msg barrier row, then submit. If this process dies between the commit and
 * the submit, the coordinator asks the service's {@link #queryPrepared(String) check-back URL}, which answers from
 * the barrier table ({@link JdbcBarrier#queryPrepared}): committed means deliver, not committed means drop, never
 * both. Once submitted, a message's actions are retried until they succeed; a message is never rolled back.
 *
 * <pre>{@code
 * client.msg()
 *     .add("http://bank-b/deposit", new Transfer("bob", 30))
 *     .queryPrepared("http://bank-a/msg-check")
 *     .doAndSubmitDb(bankA, conn -> withdraw(conn, "alice", 30));
 * }</pre>
 */
public final class Msg extends TransactionBuilder<Msg> {
  private final List<String> actions = new ArrayList<>();
  private final List<String> payloads = new ArrayList<>();
  private String queryPrepared;
  private boolean concurrent;
  private Duration delay;
  private boolean sent;

  /** Use {@link io.cohort.client.CohortClient#msg()}. */
  public Msg(ClientRuntime runtime, String gid) {
    super(runtime, gid, "msg");
  }

  /** Adds an action: the coordinator POSTs the payload's JSON to {@code actionUrl} once the message is submitted. */
  public Msg add(String actionUrl, Object payload) {
    checkOpen();
    int index = actions.size();
    String url = Urls.check("msg action " + index + " url", actionUrl, true);
    payloads.add(encode("msg action " + index + " payload", payload));
    actions.add(url);
    return this;
  }

  /** Adds an action delivered to every subscriber of {@code topic} (see the coordinator's {@code subscribe}). */
  public Msg addTopic(String topic, Object payload) {
    checkOpen();
    Objects.requireNonNull(topic, "topic");
    if (topic.isBlank() || topic.contains("/")) {
      throw new IllegalArgumentException("topic must be a non-empty name without '/': '" + topic + "'");
    }
    int index = actions.size();
    payloads.add(encode("msg action " + index + " payload", payload));
    actions.add("topic://" + topic);
    return this;
  }

  /** The check-back URL the coordinator calls when a prepared message is not submitted in time. */
  public Msg queryPrepared(String url) {
    checkOpen();
    this.queryPrepared = Urls.check("queryPrepared", url, false);
    return this;
  }

  /** Delivers the actions in parallel instead of one after another. */
  public Msg concurrent() {
    checkOpen();
    this.concurrent = true;
    return this;
  }

  /** Delivers no earlier than {@code delay} after the message was created. Whole seconds, at least 1. */
  public Msg delay(Duration delay) {
    checkOpen();
    this.delay = seconds("delay", delay);
    return this;
  }

  /** Stores the message as prepared; nothing is delivered until {@link #submit()}. Needs a check-back URL. */
  public void prepare() {
    if (queryPrepared == null) {
      throw new IllegalStateException("a prepared msg needs a queryPrepared URL: the coordinator asks it whether the "
          + "local transaction committed when the submit does not come");
    }
    runtime().coordinator().prepare(wire());
  }

  /** Submits the message (prepared before, or directly); its actions are then delivered until they succeed. */
  public void submit() {
    checkOpen();
    sent = true;
    submitBody(wire());
  }

  /** Drops a prepared message; nothing is delivered. */
  public void abort() {
    checkOpen();
    sent = true;
    Map<String, Object> w = wire();
    w.remove("wait_result");
    runtime().coordinator().abort(w);
  }

  /**
   * The whole 2-phase message with a JDBC database: prepare, run {@code business} in a local transaction on
   * {@code dataSource} together with the msg barrier row, commit, submit.
   *
   * <ul>
   *   <li>The business throws {@link BranchFailedException} (a deliberate "no"): the local transaction rolls back, the
   *       message is aborted, and {@link TransactionFailedException} is thrown.
   *   <li>Anything else goes wrong (the business throws, the commit fails, the connection drops): whether the local
   *       transaction committed is unknown, so the barrier table is asked, exactly as the coordinator's check-back
   *       would. Committed: the message is submitted and this method returns. Not committed (the check now blocks it
   *       for good): the message is aborted and {@link TransactionFailedException} is thrown. If even that cannot
   *       be asked, the message stays prepared, the coordinator's check-back decides later, and the original error is
   *       thrown.
   *   <li>The coordinator's check-back reached the barrier before the local transaction did (this process was slower
   *       than the message's timeout): the business is skipped, the message is aborted and
   *       {@link TransactionFailedException} is thrown. Nothing is delivered.
   * </ul>
   *
   * @throws IllegalStateException without a {@link #queryPrepared} URL or actions
   */
  public <T> T doAndSubmitDb(DataSource dataSource, BarrierWork<T> business) {
    return doAndSubmitDb(dataSource, JdbcBarrier.defaults(), business);
  }

  /** {@link #doAndSubmitDb(DataSource, BarrierWork)} with a barrier of custom settings (its table name). */
  public <T> T doAndSubmitDb(DataSource dataSource, JdbcBarrier barrier, BarrierWork<T> business) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(barrier, "barrier");
    Objects.requireNonNull(business, "business");
    checkOpen();
    if (actions.isEmpty()) {
      throw new IllegalStateException("a msg needs at least one action");
    }
    prepare();
    BarrierResult<T> local = null;
    try {
      local = barrier.callInTransaction(dataSource, BranchBarrier.forMsg(gid()), business);
    } catch (BranchFailedException e) {
      abort();
      throw new TransactionFailedException(gid(), "the local transaction refused: " + e.getMessage(), e);
    } catch (SQLException | RuntimeException e) {
      boolean committed;
      try {
        committed = barrier.queryPrepared(dataSource, gid());
      } catch (SQLException | RuntimeException unknown) {
        e.addSuppressed(unknown);
        throw new CohortClientException("msg " + gid() + " left prepared: the local transaction's outcome is unknown ("
            + e + "); the coordinator's check-back will decide", true, e);
      }
      if (!committed) {
        abort();
        throw new TransactionFailedException(gid(), "the local transaction did not commit: " + e, e);
      }
    }
    if (local != null && local.outcome() == BarrierOutcome.BLOCKED) {
      // The check-back got there first and recorded "rolled back" for this gid: the business did not run and never
      // will, and the coordinator may already have failed the message. Submitting would deliver for nothing.
      try {
        abort();
      } catch (CoordinatorException alreadyFailed) {
        // the check-back's FAILURE already ended it
      }
      throw new TransactionFailedException(gid(), "the check-back declared the local transaction rolled back before "
          + "it ran; nothing was done and nothing will be delivered", null);
    }
    // EXECUTED, or DUPLICATE (an earlier attempt for this gid committed): deliver.
    T value = local == null ? null : local.value();
    submit();
    return value;
  }

  private Map<String, Object> wire() {
    Map<String, Object> b = body();
    List<Map<String, String>> steps = new ArrayList<>();
    for (String a : actions) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("action", a);
      steps.add(m);
    }
    b.put("steps", steps);
    b.put("payloads", payloads);
    if (queryPrepared != null) {
      b.put("query_prepared", queryPrepared);
    }
    if (concurrent) {
      b.put("concurrent", true);
    }
    if (delay != null) {
      try {
        b.put("custom_data", HttpCoordinator.JSON.writeValueAsString(Map.of("delay", delay.getSeconds())));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    return b;
  }

  private void checkOpen() {
    if (sent) {
      throw new IllegalStateException("msg " + gid() + " was already submitted or aborted; build a new one");
    }
  }
}
