package io.cohort.examples.transfer;

/**
 * The payload every branch of a transfer receives: move {@code amount} from account {@code from} in the source bank
 * to account {@code to} in the target bank. The withdrawing bank reads {@code from}, the depositing bank reads
 * {@code to}; the same JSON goes to both, so a branch can log the whole transfer.
 *
 * <p>Validated when built, so a bad transfer fails in the caller before anything reaches the coordinator: a
 * compensation must always succeed, and it could not if its payload were unusable.
 *
 * @param from account id in the source bank
 * @param to account id in the target bank
 * @param amount how much, in the smallest unit of the currency; positive
 */
public record Transfer(long from, long to, long amount) {
  public Transfer {
    if (from < 0 || to < 0) {
      throw new IllegalArgumentException("account ids are not negative: from " + from + ", to " + to);
    }
    if (amount <= 0) {
      throw new IllegalArgumentException("a transfer moves a positive amount: " + amount);
    }
  }
}
