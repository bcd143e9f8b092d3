package io.cohort.protocol;

import java.net.URI;
import java.net.URISyntaxException;

/** Validation of participant URLs (branch actions, compensations, check-back). */
public final class BranchUrls {
  /** The longest URL accepted (DTM's {@code varchar(1024)}). */
  public static final int MAX_LENGTH = 1024;

  private BranchUrls() {}

  /**
   * Checks a participant URL: empty means "nothing to call, counts as success"; otherwise an absolute http(s) URL with
   * a host.
   *
   * @param what names the field in the error message, for example {@code steps[1].compensate}
   */
  public static String check(String url, String what) {
    if (url == null || url.isEmpty()) {
      return "";
    }
    if (url.length() > MAX_LENGTH) {
      throw CohortException.badRequest(what + " is longer than " + MAX_LENGTH + " characters");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw CohortException.badRequest(what + " is not a valid URL: " + e.getMessage());
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
      throw CohortException.badRequest(what + " must be an http:// or https:// URL, got '" + abbreviate(url) + "'");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw CohortException.badRequest(what + " has no host: '" + abbreviate(url) + "'");
    }
    return url;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
