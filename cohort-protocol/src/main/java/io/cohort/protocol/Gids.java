package io.cohort.protocol;

/** Rules for global transaction ids, shared by the coordinator and clients. */
public final class Gids {
  /** The longest gid accepted (DTM's {@code varchar(128)}). */
  public static final int MAX_LENGTH = 128;

  private Gids() {}

  /**
   * Validates a gid and returns it. DTM silently strips {@code \n}, {@code \r} and {@code ;}; Cohort refuses any
   * control character or {@code ;} instead, so the gid a participant sees is the gid the client sent.
   *
   * @throws CohortException BAD_REQUEST naming the problem
   */
  public static String check(String gid) {
    if (gid == null || gid.isEmpty()) {
      throw CohortException.badRequest("gid is required");
    }
    if (gid.length() > MAX_LENGTH) {
      throw CohortException.badRequest("gid is " + gid.length() + " characters long; the limit is " + MAX_LENGTH);
    }
    for (int i = 0; i < gid.length(); i++) {
      char c = gid.charAt(i);
      if (Character.isISOControl(c) || c == ';') {
        throw CohortException.badRequest(
            "gid contains a forbidden character (code " + (int) c + ") at position " + i
                + "; control characters and ';' are not allowed");
      }
    }
    return gid;
  }
}
