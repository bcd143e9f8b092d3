package io.cohort.client.internal;

import java.net.URI;
import java.util.Locale;
import java.util.Objects;

/** Internal, not API. The one check for branch URLs. */
public final class Urls {
  private Urls() {
  }

  /** {@code url} if it is an absolute http(s) URL (or empty, when allowed); otherwise an error naming {@code what}. */
  public static String check(String what, String url, boolean emptyAllowed) {
    Objects.requireNonNull(url, what);
    if (url.isEmpty() && emptyAllowed) {
      return url;
    }
    try {
      URI u = URI.create(url);
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && u.getHost() != null) {
        return url;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new IllegalArgumentException(what + " must be an absolute http(s) URL" + (emptyAllowed ? " or empty" : "")
        + ": '" + url + "'");
  }
}
