package io.cohort.client;

/**
 * The coordinator refused a call or could not be reached. {@link #httpStatus()} is the HTTP status it answered, or 0
 * when no answer came (connection refused, timeout). Retryable when repeating the same call may work: no answer,
 * 425 (not final yet) and 5xx; a 400, 404 or 409 names a problem in the request or the transaction's state, and is
 * not.
 */
public class CoordinatorException extends CohortClientException {
  private static final long serialVersionUID = 1L;
  private final int httpStatus;
  private final String endpoint;

  public CoordinatorException(String endpoint, int httpStatus, String message, Throwable cause) {
    super(endpoint + ": " + message, httpStatus == 0 || httpStatus == 425 || httpStatus >= 500, cause);
    this.endpoint = endpoint;
    this.httpStatus = httpStatus;
  }

  /** The HTTP status the coordinator answered, or 0 when none came. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The coordinator endpoint called, such as {@code submit}. */
  public String endpoint() {
    return endpoint;
  }
}
