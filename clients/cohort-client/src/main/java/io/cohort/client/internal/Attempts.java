package io.cohort.client.internal;

/**
 * Internal, not API. Tells a {@code BranchBarrier} which attempt of which local-transaction run it is being used in,
 * so a barrier reused across the runner's retries gives the retry the same barrier ids as the failed attempt (whose
 * rows were rolled back) instead of the next ones.
 *
 * <p>Why it matters: a barrier id is a position in the handler's sequence of protected calls. If a retry took
 * {@code 02} for what the failed attempt wrote as {@code 01}, a duplicate delivery of the same branch (which starts
 * again at {@code 01}) would no longer collide with the committed row, and the business would run twice.
 */
public final class Attempts {
  /** One attempt of one run; {@code run} is unique per {@code LocalTransactions.run} call. */
  public record Attempt(Object run, int number) {
  }

  private static final ThreadLocal<Attempt> CURRENT = new ThreadLocal<>();

  private Attempts() {
  }

  /** The attempt running on this thread, or {@code null} outside a local-transaction run. */
  public static Attempt current() {
    return CURRENT.get();
  }

  /** Marks {@code attempt} as running on this thread until {@link #leave(Attempt)}. */
  public static Attempt enter(Attempt attempt) {
    Attempt previous = CURRENT.get();
    CURRENT.set(attempt);
    return previous;
  }

  /** Restores what {@link #enter} returned. */
  public static void leave(Attempt previous) {
    if (previous == null) {
      CURRENT.remove();
    } else {
      CURRENT.set(previous);
    }
  }
}
