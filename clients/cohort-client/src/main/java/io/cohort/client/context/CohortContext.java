package io.cohort.client.context;

import io.cohort.client.participant.BranchRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What travels with a call: the caller's deadline, the W3C {@code traceparent} and, inside a participant, the branch
 * the coordinator is calling ({@code gid}, {@code trans_type}, {@code branch_id}, {@code op}).
 *
 * <p>How it travels. The SDK's built-in interceptor reads {@link #current()} on every outgoing call: the deadline
 * becomes the header {@value #TIMEOUT_HEADER} (milliseconds left, so clock skew between machines does not matter) and
 * shortens the call's own timeout; a call whose deadline has passed is not made at all. The {@code traceparent} is
 * sent as is, and the transaction builders also put it into the transaction's {@code branch_headers}, so the
 * coordinator repeats it on every branch call, retries included. The coordinator sends its own
 * {@value #TIMEOUT_HEADER} to participants: the request timeout of that call. On the participant side
 * {@link #fromRequest} rebuilds the context from those headers and the branch parameters; the SDK's participant
 * adapters make it current while the handler runs, so calls the handler makes carry the deadline and the trace on.
 *
 * <p>Immutable. "Current" is per thread (Java 17 has no scoped values): {@link #attach()} makes a context current and
 * the returned {@link Scope} restores the previous one; use it with try-with-resources. A thread pool does not carry
 * it over to other threads; attach it there explicitly.
 */
public final class CohortContext {
  /** The header carrying the milliseconds left before the caller's deadline. */
  public static final String TIMEOUT_HEADER = "Cohort-Timeout";
  /** The W3C trace-context header. */
  public static final String TRACEPARENT_HEADER = "traceparent";

  private static final Pattern TRACEPARENT =
      Pattern.compile("[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.*)?");
  private static final CohortContext EMPTY = new CohortContext(null, null, null, null, null, null);
  private static final ThreadLocal<CohortContext> CURRENT = new ThreadLocal<>();

  private final Instant deadline;
  private final String traceparent;
  private final String gid;
  private final String transType;
  private final String branchId;
  private final String op;

  private CohortContext(Instant deadline, String traceparent, String gid, String transType, String branchId,
      String op) {
    this.deadline = deadline;
    this.traceparent = traceparent;
    this.gid = gid;
    this.transType = transType;
    this.branchId = branchId;
    this.op = op;
  }

  /** The context with nothing in it. */
  public static CohortContext empty() {
    return EMPTY;
  }

  /** This thread's current context; {@link #empty()} when none is attached. Never {@code null}. */
  public static CohortContext current() {
    CohortContext c = CURRENT.get();
    return c == null ? EMPTY : c;
  }

  /**
   * The context a coordinator's (or a caller's) request carries: its branch parameters, its {@code traceparent} (when
   * well formed; a malformed one is dropped, as the W3C spec says) and its deadline, computed from
   * {@value #TIMEOUT_HEADER} and {@code now} (a malformed or negative value is ignored).
   */
  public static CohortContext fromRequest(BranchRequest request, InstantSource clock) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(clock, "clock");
    String tp = request.header(TRACEPARENT_HEADER);
    Instant dl = null;
    String ms = request.header(TIMEOUT_HEADER);
    if (ms != null) {
      try {
        long v = Long.parseLong(ms.trim());
        if (v >= 0) {
          dl = clock.instant().plusMillis(v);
        }
      } catch (NumberFormatException ignored) {
        // not ours to fail the branch over; no deadline
      }
    }
    return new CohortContext(dl, tp != null && isValidTraceparent(tp.trim()) ? tp.trim() : null, request.gid(),
        request.transType(), request.branchId(), request.op());
  }

  /** Whether {@code value} is a well-formed W3C {@code traceparent} (version 00 or later, ids not all zero). */
  public static boolean isValidTraceparent(String value) {
    if (value == null || !TRACEPARENT.matcher(value).matches()) {
      return false;
    }
    String version = value.substring(0, 2);
    if (version.equals("ff") || (version.equals("00") && value.length() != 55)) {
      return false;
    }
    return !value.substring(3, 35).chars().allMatch(c -> c == '0')
        && !value.substring(36, 52).chars().allMatch(c -> c == '0');
  }

  /** A copy with this deadline ({@code null} for none). */
  public CohortContext withDeadline(Instant newDeadline) {
    return new CohortContext(newDeadline, traceparent, gid, transType, branchId, op);
  }

  /** A copy whose deadline is {@code timeout} from now by {@code clock}, or the current deadline if that is sooner. */
  public CohortContext withTimeout(Duration timeout, InstantSource clock) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must not be negative: " + timeout);
    }
    Instant candidate = clock.instant().plus(timeout);
    return withDeadline(deadline != null && deadline.isBefore(candidate) ? deadline : candidate);
  }

  /**
   * A copy with this {@code traceparent} ({@code null} for none).
   *
   * @throws IllegalArgumentException if it is not a well-formed W3C {@code traceparent}
   */
  public CohortContext withTraceparent(String newTraceparent) {
    if (newTraceparent != null && !isValidTraceparent(newTraceparent)) {
      throw new IllegalArgumentException("not a W3C traceparent (version-traceid-parentid-flags, lower-case hex): '"
          + newTraceparent + "'");
    }
    return new CohortContext(deadline, newTraceparent, gid, transType, branchId, op);
  }

  /** Makes this context current on this thread until the returned scope is closed. */
  public Scope attach() {
    CohortContext previous = CURRENT.get();
    CURRENT.set(this);
    return new Scope(previous);
  }

  public Optional<Instant> deadline() {
    return Optional.ofNullable(deadline);
  }

  /** Time left before the deadline by {@code clock} (zero once passed), or empty without a deadline. */
  public Optional<Duration> remaining(InstantSource clock) {
    if (deadline == null) {
      return Optional.empty();
    }
    Duration left = Duration.between(clock.instant(), deadline);
    return Optional.of(left.isNegative() ? Duration.ZERO : left);
  }

  public Optional<String> traceparent() {
    return Optional.ofNullable(traceparent);
  }

  /** The transaction id, inside a participant's handler. */
  public Optional<String> gid() {
    return Optional.ofNullable(gid);
  }

  public Optional<String> transType() {
    return Optional.ofNullable(transType);
  }

  public Optional<String> branchId() {
    return Optional.ofNullable(branchId);
  }

  public Optional<String> op() {
    return Optional.ofNullable(op);
  }

  @Override
  public String toString() {
    return "CohortContext{deadline=" + deadline + ", traceparent=" + traceparent + ", gid=" + gid + ", branch="
        + branchId + "/" + op + "}";
  }

  /** Restores the context that was current before {@link #attach()}. */
  public static final class Scope implements AutoCloseable {
    private final CohortContext previous;
    private boolean closed;

    private Scope(CohortContext previous) {
      this.previous = previous;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        if (previous == null) {
          CURRENT.remove();
        } else {
          CURRENT.set(previous);
        }
      }
    }
  }
}
