package io.cohort.protocol;

/** An error with a code from the closed vocabulary; raised at the boundary and by the engine for refused commands. */
public class CohortException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  public CohortException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public CohortException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  public static CohortException badRequest(String message) {
    return new CohortException(ErrorCode.BAD_REQUEST, message);
  }

  public static CohortException failure(String message) {
    return new CohortException(ErrorCode.FAILURE, message);
  }
}
