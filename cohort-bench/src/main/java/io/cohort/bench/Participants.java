package io.cohort.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The saga-http scenario's participants: one Jetty server on loopback, in the bench's JVM, answering every branch call
 * with {@code 200 {"dtm_result":"SUCCESS"}} as cheaply as Jetty allows. The handler is non-blocking (Jetty may run it
 * on the selector thread without a dispatch), the answer is a pre-encoded shared buffer, and nothing is parsed but the
 * path, to count calls per op. The small request body arrives with the headers; Jetty consumes it after the answer,
 * so connections stay persistent. {@link #connectionsOpened} shows whether they really do.
 */
final class Participants implements AutoCloseable {
  private static final ByteBuffer SUCCESS =
      ByteBuffer.wrap("{\"dtm_result\":\"SUCCESS\"}".getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer();
  private static final PreEncodedHttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");

  private final Server server;
  private final ServerConnector connector;
  final LongAdder actions = new LongAdder();
  final LongAdder compensations = new LongAdder();
  final LongAdder others = new LongAdder();
  final LongAdder connectionsOpened = new LongAdder();

  Participants(int port) throws Exception {
    QueuedThreadPool pool = new QueuedThreadPool(8, 2);
    pool.setName("participant");
    pool.setDaemon(true);
    server = new Server(pool);
    HttpConfiguration hc = new HttpConfiguration();
    hc.setSendServerVersion(false);
    hc.setSendDateHeader(false);
    connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(hc));
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    connector.setAcceptQueueSize(1024);
    connector.addEventListener(new Connection.Listener() {
      @Override
      public void onOpened(Connection connection) {
        connectionsOpened.increment();
      }
    });
    server.addConnector(connector);
    server.setHandler(new Handler.Abstract.NonBlocking() {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getPath();
        if (path.endsWith("/action")) {
          actions.increment();
        } else if (path.endsWith("/compensate")) {
          compensations.increment();
        } else {
          others.increment();
        }
        response.setStatus(200);
        response.getHeaders().put(JSON);
        response.write(true, SUCCESS.slice(), callback);
        return true;
      }
    });
    server.start();
  }

  /** E.g. {@code http://127.0.0.1:40123}. */
  String baseUrl() {
    return "http://127.0.0.1:" + connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      // shutting down
    }
  }
}
