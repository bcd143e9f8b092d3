package io.cohort.protocol;

/**
 * The closed error vocabulary at Cohort's boundary, and the one table that maps each code to an HTTP status and to
 * the {@code dtm_result} DTM clients look for. Messages that accompany a code name the problem; clients may match on
 * the code, never on the message.
 */
public enum ErrorCode {
  /** The request is malformed or invalid: bad JSON, a wrong type, a missing or invalid field. Nothing was stored. */
  BAD_REQUEST(400, null),
  /** The request body is larger than the configured limit. Nothing was stored. */
  PAYLOAD_TOO_LARGE(413, null),
  /** No transaction with that gid. */
  NOT_FOUND(404, null),
  /** The transaction's state does not allow the request (DTM's FAILURE, HTTP 409). */
  FAILURE(409, "FAILURE"),
  /** The outcome is not known yet (DTM's ONGOING, HTTP 425). */
  ONGOING(425, "ONGOING"),
  /** The coordinator could not complete the request (store error); the client may retry. */
  INTERNAL(500, null),
  /** The coordinator is shutting down or overloaded; retry later. */
  UNAVAILABLE(503, null);

  private final int httpStatus;
  private final String dtmResult;

  ErrorCode(int httpStatus, String dtmResult) {
    this.httpStatus = httpStatus;
    this.dtmResult = dtmResult;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The {@code dtm_result} value for the response body, or {@code null} when the body carries none. */
  public String dtmResult() {
    return dtmResult;
  }
}
