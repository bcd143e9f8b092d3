package io.cohort.client;

/**
 * A payload could not be turned into JSON (or a reply back into an object). Raised before anything is sent, so
 * nothing was stored at the coordinator. Not retryable: the same object fails the same way.
 */
public class PayloadSerializationException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  public PayloadSerializationException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
