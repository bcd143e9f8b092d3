package io.cohort.client.internal;

import io.cohort.client.CallDeadlineExceededException;
import io.cohort.client.context.CohortContext;
import io.cohort.client.http.Interceptor;
import io.cohort.client.http.OutboundRequest;
import io.cohort.client.http.OutboundResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Internal, not API. Runs a request through the interceptor chain and sends it with the JDK's {@link HttpClient}.
 *
 * <p>The first interceptor is always the SDK's own context interceptor: it applies the current
 * {@link CohortContext}'s deadline (refusing a call whose deadline has passed, shortening the timeout, sending the
 * milliseconds left in {@value CohortContext#TIMEOUT_HEADER}) and its {@code traceparent}. The JDK client is the
 * transport because the SDK makes a handful of calls per transaction and must run on Java 17 without pulling in an
 * HTTP stack; the coordinator, which makes many calls per second, uses Jetty's client instead.
 */
public final class HttpTransport implements AutoCloseable {
  private final HttpClient http;
  private final List<Interceptor> chain;
  private final InstantSource clock;

  public HttpTransport(Duration connectTimeout, List<Interceptor> interceptors, InstantSource clock) {
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.clock = clock;
    List<Interceptor> all = new ArrayList<>();
    all.add(this::applyContext);
    all.addAll(interceptors);
    all.add(this::send);
    this.chain = List.copyOf(all);
  }

  /** Runs {@code request} through every interceptor and the network. */
  public OutboundResponse execute(OutboundRequest request) throws IOException {
    return new Link(0, request).proceed(request);
  }

  private final class Link implements Interceptor.Chain {
    private final int index;
    private final OutboundRequest request;

    Link(int index, OutboundRequest request) {
      this.index = index;
      this.request = request;
    }

    @Override
    public OutboundRequest request() {
      return request;
    }

    @Override
    public OutboundResponse proceed(OutboundRequest next) throws IOException {
      if (index >= chain.size()) {
        throw new IllegalStateException("the last interceptor must not proceed");
      }
      OutboundResponse response = chain.get(index).intercept(new Link(index + 1, next));
      if (response == null) {
        throw new IllegalStateException("interceptor " + chain.get(index) + " returned no response");
      }
      return response;
    }
  }

  private OutboundResponse applyContext(Interceptor.Chain chain) throws IOException {
    OutboundRequest r = chain.request();
    CohortContext ctx = CohortContext.current();
    Optional<Duration> left = ctx.remaining(clock);
    if (left.isPresent()) {
      Duration remaining = left.get();
      if (remaining.toMillis() <= 0) {
        throw new CallDeadlineExceededException("the caller's deadline " + ctx.deadline().orElseThrow()
            + " has passed; not calling " + r, null);
      }
      if (remaining.compareTo(r.timeout()) < 0) {
        r = r.withTimeout(remaining);
      }
      r = r.withHeader(CohortContext.TIMEOUT_HEADER, Long.toString(remaining.toMillis()));
    }
    if (ctx.traceparent().isPresent() && r.header(CohortContext.TRACEPARENT_HEADER) == null) {
      r = r.withHeader(CohortContext.TRACEPARENT_HEADER, ctx.traceparent().get());
    }
    return chain.proceed(r);
  }

  private OutboundResponse send(Interceptor.Chain chain) throws IOException {
    OutboundRequest r = chain.request();
    byte[] body = r.body();
    HttpRequest.Builder b = HttpRequest.newBuilder(r.uri()).timeout(r.timeout());
    b.method(r.method(), body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    boolean hasType = false;
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      b.header(h.getKey(), h.getValue());
      hasType |= h.getKey().equalsIgnoreCase("Content-Type");
    }
    if (body != null && !hasType) {
      b.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<byte[]> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new OutboundResponse(resp.statusCode(), resp.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException io = new InterruptedIOException("interrupted while calling " + r);
      io.initCause(e);
      throw io;
    }
  }

  @Override
  public void close() {
    // HttpClient is AutoCloseable only from Java 21; on 17 its threads end when it is unreachable.
    if (http instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing is best effort
      }
    }
  }
}
