package io.cohort.client;

import io.cohort.client.http.Interceptor;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Everything a {@link CohortClient} is configured with, validated when built and immutable after.
 *
 * <p>The coordinator URL may be given as DTM SDKs take it ({@code http://host:36789/api/dtmsvr}), as a bare origin
 * ({@code http://host:36789}, the API path is added) or as {@code host:port} ({@code http://} is assumed).
 */
public final class CohortClientOptions {
  static final String API_PATH = "/api/dtmsvr";

  private final URI coordinator;
  private final Duration callTimeout;
  private final Duration connectTimeout;
  private final Duration branchCallTimeout;
  private final List<Interceptor> interceptors;
  private final PayloadCodec codec;
  private final InstantSource clock;

  private CohortClientOptions(Builder b) {
    this.coordinator = b.coordinator;
    this.callTimeout = b.callTimeout;
    this.connectTimeout = b.connectTimeout;
    this.branchCallTimeout = b.branchCallTimeout;
    this.interceptors = List.copyOf(b.interceptors);
    this.codec = b.codec;
    this.clock = b.clock;
  }

  /**
   * A builder for a client of the coordinator at {@code coordinatorUrl}.
   *
   * @throws IllegalArgumentException if the URL is not an http(s) URL or {@code host:port}
   */
  public static Builder builder(String coordinatorUrl) {
    return new Builder(parseCoordinator(coordinatorUrl));
  }

  /** The default options for the coordinator at {@code coordinatorUrl}. */
  public static CohortClientOptions of(String coordinatorUrl) {
    return builder(coordinatorUrl).build();
  }

  static URI parseCoordinator(String url) {
    Objects.requireNonNull(url, "coordinator URL");
    String s = url.trim();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("coordinator URL must not be empty");
    }
    if (!s.contains("://")) {
      s = "http://" + s;
    }
    URI uri;
    try {
      uri = URI.create(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("coordinator URL is not a URL: '" + url + "'", e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("coordinator URL must be http or https: '" + url + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("coordinator URL has no host: '" + url + "'");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("coordinator URL must not have a query or fragment: '" + url + "'");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (path.isEmpty()) {
      path = API_PATH;
    }
    return URI.create(scheme + "://" + uri.getRawAuthority() + path);
  }

  /** The coordinator's API base, such as {@code http://host:36789/api/dtmsvr}, without a trailing slash. */
  public URI coordinator() {
    return coordinator;
  }

  /** How long a call to the coordinator may take (a {@code waitResult} submit included). Default 10 s. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** How long opening a connection may take. Default 5 s. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** How long a participant called by the SDK itself (TCC try, XA action) may take. Default 10 s. */
  public Duration branchCallTimeout() {
    return branchCallTimeout;
  }

  /** The interceptors, in the order they run (after the SDK's own context interceptor). */
  public List<Interceptor> interceptors() {
    return interceptors;
  }

  public PayloadCodec codec() {
    return codec;
  }

  /** The clock deadlines are measured with. */
  public InstantSource clock() {
    return clock;
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    Builder b = new Builder(coordinator);
    b.callTimeout = callTimeout;
    b.connectTimeout = connectTimeout;
    b.branchCallTimeout = branchCallTimeout;
    b.interceptors.addAll(interceptors);
    b.codec = codec;
    b.clock = clock;
    return b;
  }

  /** Builds {@link CohortClientOptions}; every setter validates its argument at once. */
  public static final class Builder {
    private final URI coordinator;
    private Duration callTimeout = Duration.ofSeconds(10);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration branchCallTimeout = Duration.ofSeconds(10);
    private final List<Interceptor> interceptors = new ArrayList<>();
    private PayloadCodec codec = PayloadCodec.jackson();
    private InstantSource clock = InstantSource.system();

    private Builder(URI coordinator) {
      this.coordinator = coordinator;
    }

    public Builder callTimeout(Duration timeout) {
      this.callTimeout = positive("callTimeout", timeout);
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    public Builder branchCallTimeout(Duration timeout) {
      this.branchCallTimeout = positive("branchCallTimeout", timeout);
      return this;
    }

    /** Adds an interceptor after those added before. */
    public Builder interceptor(Interceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    public Builder codec(PayloadCodec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public CohortClientOptions build() {
      return new CohortClientOptions(this);
    }

    private static Duration positive(String name, Duration d) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
