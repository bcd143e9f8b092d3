package io.cohort.client.barrier;

/**
 * The outcome of a barrier-protected call and, when the business ran, the value it returned ({@code null}
 * otherwise, or when the business itself returned {@code null}).
 */
public record BarrierResult<T>(BarrierOutcome outcome, T value) {
  public BarrierResult {
    if (outcome == null) {
      throw new IllegalArgumentException("outcome is required");
    }
  }

  static <T> BarrierResult<T> skipped(BarrierOutcome outcome) {
    return new BarrierResult<>(outcome, null);
  }

  /** Whether the business ran in this call. */
  public boolean businessRan() {
    return outcome.businessRan();
  }
}
