package io.cohort.client.xa;

import io.cohort.client.CohortClientException;

/**
 * The database behind an {@link XaParticipant} cannot run XA branches safely, found when the participant is built so
 * that a misconfigured service fails at start instead of at its first global transaction. The message names the
 * problem and the fix, for example PostgreSQL's {@code max_prepared_transactions = 0}, a MariaDB older than 10.5
 * (which rolls prepared branches back when the client disconnects), a server or proxy that refuses {@code XA START},
 * or a database the participant does not support.
 *
 * <p>Never retryable: the configuration has to change first.
 */
public final class XaNotEnabledException extends CohortClientException {
  private static final long serialVersionUID = 1L;

  XaNotEnabledException(String message) {
    super(message, false);
  }

  XaNotEnabledException(String message, Throwable cause) {
    super(message, false, cause);
  }
}
