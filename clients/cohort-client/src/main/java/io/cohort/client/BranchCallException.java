package io.cohort.client;

/**
 * A participant the SDK called itself (a TCC try, an XA action) did not answer 200. {@link #httpStatus()} is its
 * status, or 0 for no answer. A 409 is the participant's deliberate FAILURE and is not retryable; anything else may
 * be. The TCC and XA runners abort the global transaction on either.
 */
public class BranchCallException extends CohortClientException {
  private static final long serialVersionUID = 1L;
  private final int httpStatus;
  private final String body;

  public BranchCallException(String message, int httpStatus, String body, Throwable cause) {
    super(message, httpStatus != 409, cause);
    this.httpStatus = httpStatus;
    this.body = body == null ? "" : body;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The participant's answer body (empty when none came). */
  public String body() {
    return body;
  }
}
