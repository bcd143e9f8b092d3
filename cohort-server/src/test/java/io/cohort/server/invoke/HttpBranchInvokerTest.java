package io.cohort.server.invoke;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.plan.BranchCall;
import io.cohort.core.plan.BranchOutcome;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The keep-alive race on branch calls, made deterministic: a participant that answers the first request on each
 * connection and closes the connection when a second request arrives on it, without answering, as a server does
 * when its idle timeout fires while a request is on the way.
 */
class HttpBranchInvokerTest {
  private ServerSocket server;
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger droppedOnReuse = new AtomicInteger();
  private HttpBranchInvoker invoker;

  @BeforeEach
  void start() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofVirtual().start(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread.ofVirtual().start(() -> serve(s));
        } catch (IOException e) {
          return;
        }
      }
    });
    invoker = new HttpBranchInvoker(8);
  }

  @AfterEach
  void stop() throws IOException {
    invoker.close();
    server.close();
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      for (int n = 0; ; n++) {
        if (!readRequest(in)) {
          return;
        }
        if (n > 0) {
          droppedOnReuse.incrementAndGet();
          return; // close without answering
        }
        byte[] body = "{\"dtm_result\":\"SUCCESS\"}".getBytes(StandardCharsets.UTF_8);
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        answered.incrementAndGet();
      }
    } catch (IOException e) {
      // client went away
    }
  }

  /** Reads one request (headers and a Content-Length body); false at end of stream. */
  private static boolean readRequest(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      head.append((char) c);
      if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    if (c == -1) {
      return false;
    }
    int length = 0;
    for (String line : head.toString().split("\r\n")) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return true;
  }

  private BranchCall call(String branchId) {
    return new BranchCall("g-1", "saga", branchId, "action", "http://127.0.0.1:" + server.getLocalPort() + "/a",
        "{}".getBytes(StandardCharsets.UTF_8), true, Map.of(), Duration.ofSeconds(5));
  }

  @Test
  void aCallOnAPooledConnectionThePeerClosedIsSentAgainOnAFreshOne() {
    assertThat(invoker.invoke(call("01")).join()).isInstanceOf(BranchOutcome.Succeeded.class);
    // The second call reuses the pooled connection; the participant closes it without answering.
    assertThat(invoker.invoke(call("02")).join()).isInstanceOf(BranchOutcome.Succeeded.class);
    assertThat(droppedOnReuse.get()).as("the race really happened").isEqualTo(1);
    assertThat(answered.get()).isEqualTo(2);
  }

  @Test
  void aCallIsSentAgainAtMostOnce() {
    assertThat(invoker.invoke(call("01")).join()).isInstanceOf(BranchOutcome.Succeeded.class);
    // Every connection now drops its second request, and the resend's fresh connection answers: at most two sends.
    BranchOutcome second = invoker.invoke(call("02")).join();
    BranchOutcome third = invoker.invoke(call("03")).join();
    assertThat(second).isInstanceOf(BranchOutcome.Succeeded.class);
    assertThat(third).isInstanceOf(BranchOutcome.Succeeded.class);
    assertThat(answered.get()).isEqualTo(3);
    assertThat(droppedOnReuse.get()).isEqualTo(2);
  }
}
