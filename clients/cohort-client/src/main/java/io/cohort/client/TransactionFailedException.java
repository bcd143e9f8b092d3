package io.cohort.client;

/**
 * The global transaction did not succeed and will not: a saga or msg submitted with {@code waitResult} whose first
 * round ended in failure, or a TCC or XA transaction the SDK aborted because its body threw (the {@linkplain
 * #getCause() cause} is what the body threw). Not retryable: the same gid cannot run again; start a new transaction.
 */
public class TransactionFailedException extends CohortClientException {
  private static final long serialVersionUID = 1L;
  private final String gid;

  public TransactionFailedException(String gid, String message, Throwable cause) {
    super("transaction " + gid + " failed: " + message, false, cause);
    this.gid = gid;
  }

  public String gid() {
    return gid;
  }
}
