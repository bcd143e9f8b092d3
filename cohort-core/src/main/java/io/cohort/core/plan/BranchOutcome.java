package io.cohort.core.plan;

/**
 * What a branch call produced. Decided in exactly one place, {@link #fromHttp(int, String)}, following the DTM rules
 * (reference section 2.2): ONGOING first, then FAILURE, then any other non-200 is a retryable error.
 */
public sealed interface BranchOutcome {

  record Succeeded() implements BranchOutcome {}

  /** The participant said FAILURE (HTTP 409 or the body contains {@code FAILURE}). */
  record Failed(String message) implements BranchOutcome {}

  /** The participant said ONGOING (HTTP 425 or the body contains {@code ONGOING}): retry at the same interval. */
  record Ongoing(String message) implements BranchOutcome {}

  /** Transport error, timeout or another status: retry with backoff. */
  record Unreachable(String message) implements BranchOutcome {}

  BranchOutcome SUCCEEDED = new Succeeded();

  static BranchOutcome fromHttp(int status, String body) {
    String text = body == null ? "" : body;
    if (status == 425 || text.contains("ONGOING")) {
      return new Ongoing(describe(status, text));
    }
    if (status == 409 || text.contains("FAILURE")) {
      return new Failed(describe(status, text));
    }
    if (status != 200) {
      return new Unreachable(describe(status, text));
    }
    return SUCCEEDED;
  }

  private static String describe(int status, String body) {
    String b = body.length() > 200 ? body.substring(0, 200) + "..." : body;
    return "HTTP " + status + (b.isEmpty() ? "" : ": " + b);
  }
}
