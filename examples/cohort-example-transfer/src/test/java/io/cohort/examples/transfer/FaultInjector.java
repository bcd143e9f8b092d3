package io.cohort.examples.transfer;

import io.cohort.client.participant.BranchHandler;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.participant.BranchResponse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;

/**
 * Wraps the banks' branch handlers and, at seeded random, misbehaves the way a network and a busy service do. Each
 * call draws one {@link Fault} (or none); the handlers themselves stay the production ones, and the HTTP on both
 * sides is real, so what the coordinator sees is a real 500, a real timeout, a real second delivery.
 *
 * <p>The draws come from one {@link Random} seeded with the given seed, so a seed fixes the sequence of faults; which
 * call gets which draw still depends on thread scheduling, so a seed makes a failure likely to come back, not certain.
 *
 * <p>{@link #inFlight()} counts handler runs not finished yet, including delayed ones whose caller has long given up
 * and duplicates running in the background: the test waits for it to reach zero before it reads the databases.
 */
final class FaultInjector {
  /** What happens to one branch call. */
  enum Fault {
    /** Answers 500 without running the handler: the coordinator (or the SDK) sees an error. */
    FAIL_BEFORE,
    /** Runs the handler, then answers 500 whatever it did: the retry is a duplicate the barrier must absorb. */
    FAIL_AFTER,
    /**
     * Waits longer than the caller's timeout, then runs the handler: the caller has given up (and retried, or for a
     * TCC try or an XA action aborted), so the late run is a duplicate or arrives after its compensation (hanging).
     */
    TIMEOUT,
    /** Runs the handler twice at the same time, as two deliveries of one call; answers with the first. */
    DUPLICATE
  }

  private final long seed;
  private final double rate;
  private final Duration delay;
  private final Random random;
  private final Map<Fault, LongAdder> injected = new EnumMap<>(Fault.class);
  private final LongAdder calls = new LongAdder();
  private final AtomicInteger inFlight = new AtomicInteger();

  /**
   * @param rate the chance of each fault per call (so {@code 4 * rate} of the calls misbehave)
   * @param delay how long a {@link Fault#TIMEOUT} waits: more than the coordinator's and the client's timeouts
   */
  FaultInjector(long seed, double rate, Duration delay) {
    if (rate < 0 || rate * Fault.values().length > 1) {
      throw new IllegalArgumentException("rate per fault must be in [0, 1/" + Fault.values().length + "]: " + rate);
    }
    this.seed = seed;
    this.rate = rate;
    this.delay = Objects.requireNonNull(delay, "delay");
    this.random = new Random(seed);
    for (Fault f : Fault.values()) {
      injected.put(f, new LongAdder());
    }
  }

  long seed() {
    return seed;
  }

  /** The decorator for {@link Bank#start}: every endpoint's handler gets a faulty wrapper. */
  UnaryOperator<BranchHandler> decorator() {
    return this::wrap;
  }

  /** How many times each fault was injected. */
  Map<Fault, Long> injected() {
    Map<Fault, Long> out = new EnumMap<>(Fault.class);
    injected.forEach((f, n) -> out.put(f, n.sum()));
    return out;
  }

  /** How many branch calls reached the wrapper. */
  long calls() {
    return calls.sum();
  }

  /** Handler runs not finished yet (delayed and duplicate ones included). */
  int inFlight() {
    return inFlight.get();
  }

  @Override
  public String toString() {
    return "FaultInjector[seed=" + seed + ", rate=" + rate + " per fault, delay=" + delay + ", calls=" + calls()
        + ", injected=" + injected() + "]";
  }

  private Fault draw() {
    double x;
    synchronized (random) {
      x = random.nextDouble();
    }
    int i = (int) (x / rate);
    return i < Fault.values().length ? Fault.values()[i] : null;
  }

  private BranchHandler wrap(BranchHandler handler) {
    // Override respond, not handle: some handlers (the XA ones) answer through respond themselves.
    return new BranchHandler() {
      @Override
      public Object handle(BranchRequest request) throws Exception {
        return handler.handle(request);
      }

      @Override
      public BranchResponse respond(BranchRequest request) {
        calls.increment();
        Fault fault = draw();
        if (fault != null) {
          injected.get(fault).increment();
        }
        inFlight.incrementAndGet();
        try {
          return misbehave(handler, request, fault);
        } finally {
          inFlight.decrementAndGet();
        }
      }
    };
  }

  private BranchResponse misbehave(BranchHandler handler, BranchRequest request, Fault fault) {
    if (fault == null) {
      return handler.respond(request);
    }
    switch (fault) {
      case FAIL_BEFORE:
        return BranchResponse.error(500, "injected fault: failed before the handler ran");
      case FAIL_AFTER:
        handler.respond(request);
        return BranchResponse.error(500, "injected fault: failed after the handler ran");
      case TIMEOUT:
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return BranchResponse.error(500, "interrupted");
        }
        return handler.respond(request);
      case DUPLICATE:
        // The second delivery runs on its own and is not waited for: a real duplicate is an independent request,
        // and waiting could deadlock (a duplicate XA action waits for its prepared original's phase 2, which only
        // comes after this answer).
        inFlight.incrementAndGet();
        Thread.ofVirtual().name("duplicate-" + request.gid() + "-" + request.branchId() + "-" + request.op())
            .start(() -> {
              try {
                handler.respond(request);
              } finally {
                inFlight.decrementAndGet();
              }
            });
        return handler.respond(request);
      default:
        throw new AssertionError(fault);
    }
  }
}
