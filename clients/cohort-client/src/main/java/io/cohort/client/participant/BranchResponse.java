package io.cohort.client.participant;

import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.InvalidBranchException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The answer to one branch call: an HTTP status and a JSON body. This class holds the one mapping from a handler's
 * outcome to the DTM answer (reference 2.2); both adapters use it.
 *
 * <table>
 *   <caption>Outcome to answer</caption>
 *   <tr><th>Outcome</th><th>Status</th><th>Body</th></tr>
 *   <tr><td>normal return, {@link BranchResult#SUCCESS}, {@link PreparedState#COMMITTED}</td><td>200</td>
 *       <td>{@code {"dtm_result":"SUCCESS"}}</td></tr>
 *   <tr><td>{@link BranchFailedException}, {@link BranchResult#FAILURE}, {@link PreparedState#ROLLED_BACK}</td>
 *       <td>409</td><td>{@code {"dtm_result":"FAILURE","message":...}}</td></tr>
 *   <tr><td>{@link BranchOngoingException}, {@link BranchResult#ONGOING}, {@link PreparedState#UNKNOWN}</td>
 *       <td>425</td><td>{@code {"dtm_result":"ONGOING","message":...}}</td></tr>
 *   <tr><td>{@link InvalidBranchException} (a branch parameter missing)</td><td>400</td>
 *       <td>{@code {"message":...,"parameter":...}}</td></tr>
 *   <tr><td>any other exception</td><td>500</td><td>{@code {"message":...}}</td></tr>
 * </table>
 *
 * <p><b>Why only dedicated types mean FAILURE.</b> A FAILURE aborts a saga, so it must be a decision of the business,
 * never a side effect of a bug: a non-retryable {@link io.cohort.client.CohortClientException} other than
 * {@link BranchFailedException} (a misused barrier, say) answers 500 and is retried with backoff, which raises the
 * coordinator's alert instead of silently rolling the transaction back.
 *
 * <p><b>Why 400 for a missing parameter.</b> Only the coordinator calls branch URLs, and it always sends the four
 * parameters, so a missing one is a wrong URL or a wrong caller. The coordinator treats 400 like any other non-200 /
 * 409 / 425 status: an error retried with doubling backoff (and eventually alerted), which is the safe choice, and
 * the 400 tells a human caller what is wrong.
 *
 * <p><b>The substring rule.</b> The coordinator and the DTM clients search the whole body, case-sensitively, for
 * {@code ONGOING} first and {@code FAILURE} second, whatever the status. So: the 200 body is fixed and never carries
 * the handler's return value; a message in a 409 body must not contain {@code ONGOING}; a message in a 400 or 500
 * body must contain neither. Messages are therefore sanitised: every occurrence of those two words is lower-cased
 * ({@code ongoing}, {@code failure}; the search is case-sensitive), in every message, so the body always means what
 * its status says. Messages are JSON-escaped, cut to {@value #MAX_MESSAGE} characters, and never carry a stack
 * trace; an exception without a message is described by its class name.
 */
public final class BranchResponse {
  /** The longest message written into a body, in characters. */
  public static final int MAX_MESSAGE = 1000;

  private static final BranchResponse SUCCESS = new BranchResponse(200, "{\"dtm_result\":\"SUCCESS\"}");

  private final int status;
  private final String body;

  private BranchResponse(int status, String body) {
    this.status = status;
    this.body = body;
  }

  /** 200 {@code {"dtm_result":"SUCCESS"}}. */
  public static BranchResponse success() {
    return SUCCESS;
  }

  /** 409 {@code {"dtm_result":"FAILURE","message":...}}; {@code message} may be {@code null}. */
  public static BranchResponse failure(String message) {
    return withResult(409, "FAILURE", message);
  }

  /** 425 {@code {"dtm_result":"ONGOING","message":...}}; {@code message} may be {@code null}. */
  public static BranchResponse ongoing(String message) {
    return withResult(425, "ONGOING", message);
  }

  /**
   * An error answer without a DTM result, which the coordinator retries with doubling backoff: {@code status} must
   * be 4xx or 5xx other than 409 and 425.
   */
  public static BranchResponse error(int status, String message) {
    if (status < 400 || status > 599 || status == 409 || status == 425) {
      throw new IllegalArgumentException("an error status must be 4xx or 5xx other than 409 and 425: " + status);
    }
    return new BranchResponse(status, "{\"message\":" + jsonString(message) + "}");
  }

  /** The answer to a handler's normal return value (see the class table). */
  public static BranchResponse forResult(Object result) {
    if (result instanceof BranchResponse response) {
      return response; // a handler that built its answer itself, such as XaParticipant.handle
    }
    if (result instanceof BranchResult) {
      switch ((BranchResult) result) {
        case FAILURE:
          return failure(null);
        case ONGOING:
          return ongoing(null);
        default:
          return success();
      }
    }
    if (result instanceof PreparedState) {
      return forPrepared((PreparedState) result);
    }
    return success();
  }

  /** The answer to an exception a handler threw (see the class table). */
  public static BranchResponse forException(Throwable error) {
    Objects.requireNonNull(error, "error");
    if (error instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    if (error instanceof BranchFailedException) {
      return failure(describe(error));
    }
    if (error instanceof BranchOngoingException) {
      return ongoing(describe(error));
    }
    if (error instanceof InvalidBranchException) {
      String parameter = ((InvalidBranchException) error).parameter();
      return new BranchResponse(400, "{\"message\":" + jsonString(describe(error)) + ",\"parameter\":"
          + jsonString(parameter) + "}");
    }
    return error(500, describe(error));
  }

  /** The answer to a msg check-back: committed → 200, rolled back → 409, unknown → 425. */
  public static BranchResponse forPrepared(PreparedState state) {
    switch (Objects.requireNonNull(state, "state")) {
      case COMMITTED:
        return success();
      case ROLLED_BACK:
        return failure("the msg's local transaction did not commit and never will");
      default:
        return ongoing("the msg's local transaction is not decided yet");
    }
  }

  /** The msg check-back answer from a barrier's {@code queryPrepared} result. */
  public static BranchResponse forPrepared(boolean committed) {
    return forPrepared(PreparedState.of(committed));
  }

  public int status() {
    return status;
  }

  /** The JSON body. */
  public String body() {
    return body;
  }

  /** The JSON body as UTF-8 bytes. */
  public byte[] bodyBytes() {
    return body.getBytes(StandardCharsets.UTF_8);
  }

  /** Always {@code application/json; charset=utf-8}. */
  public String contentType() {
    return "application/json; charset=utf-8";
  }

  @Override
  public String toString() {
    return status + " " + body;
  }

  private static BranchResponse withResult(int status, String result, String message) {
    String body = "{\"dtm_result\":\"" + result + "\"";
    if (message != null) {
      body += ",\"message\":" + jsonString(message);
    }
    return new BranchResponse(status, body + "}");
  }

  private static String describe(Throwable error) {
    String message = error.getMessage();
    return message == null || message.isBlank() ? error.getClass().getSimpleName() : message;
  }

  /**
   * A JSON string literal of {@code text}, sanitised (see the class comment); {@code "null"} for {@code null}.
   * Lower-casing happens before escaping and escaping only touches non-letters, so neither step can form a marker.
   */
  static String jsonString(String text) {
    if (text == null) {
      return "null";
    }
    String s = text;
    if (s.length() > MAX_MESSAGE) {
      int end = Character.isHighSurrogate(s.charAt(MAX_MESSAGE - 1)) ? MAX_MESSAGE - 1 : MAX_MESSAGE;
      s = s.substring(0, end) + "...";
    }
    s = s.replace("ONGOING", "ongoing").replace("FAILURE", "failure");
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    return out.append('"').toString();
  }
}
