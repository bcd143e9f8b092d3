package io.cohort.client.participant;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.client.barrier.BranchFailedException;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The Servlet adapter, driven by hand-made fakes (dynamic proxies answering only the methods the adapter uses; any
 * other call fails the test, which also proves the adapter never touches {@code getParameterMap}).
 */
class ServletBranchHandlerTest {
  private static final class Answer {
    int status;
    String contentType;
    int contentLength = -1;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
  }

  private static HttpServletRequest request(String query, Map<String, List<String>> headers, String body) {
    ByteArrayInputStream in = new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8));
    ServletInputStream stream = new ServletInputStream() {
      @Override
      public boolean isFinished() {
        return in.available() == 0;
      }

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setReadListener(ReadListener listener) {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read() {
        return in.read();
      }
    };
    return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
        new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "getQueryString":
              return query;
            case "getInputStream":
              return stream;
            case "getHeaderNames":
              return Collections.enumeration(headers.keySet());
            case "getHeaders":
              return Collections.enumeration(headers.getOrDefault((String) args[0], List.of()));
            default:
              throw new AssertionError("unexpected call " + method.getName());
          }
        });
  }

  private static HttpServletResponse response(Answer answer) {
    ServletOutputStream stream = new ServletOutputStream() {
      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setWriteListener(WriteListener listener) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void write(int b) {
        answer.body.write(b);
      }
    };
    return (HttpServletResponse) Proxy.newProxyInstance(HttpServletResponse.class.getClassLoader(),
        new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "setStatus":
              answer.status = (Integer) args[0];
              return null;
            case "setContentType":
              answer.contentType = (String) args[0];
              return null;
            case "setContentLength":
              answer.contentLength = (Integer) args[0];
              return null;
            case "getOutputStream":
              return stream;
            default:
              throw new AssertionError("unexpected call " + method.getName());
          }
        });
  }

  private static Answer call(String query, String body, BranchHandler handler) throws Exception {
    Map<String, List<String>> headers = new HashMap<>();
    headers.put("Content-Type", List.of("application/x-www-form-urlencoded"));
    headers.put("X-Tenant", List.of("t1"));
    Answer answer = new Answer();
    ServletBranchHandler.handle(request(query, headers, body), response(answer), handler);
    return answer;
  }

  private static final String QUERY = "gid=g1&trans_type=tcc&branch_id=01&op=confirm";

  @Test
  void theRequestReachesTheHandlerAndSuccessIsWritten() throws Exception {
    AtomicReference<BranchRequest> seen = new AtomicReference<>();
    Answer a = call(QUERY, "a=1&b=2", req -> {
      seen.set(req);
      return null;
    });
    assertThat(a.status).isEqualTo(200);
    assertThat(a.contentType).isEqualTo("application/json; charset=utf-8");
    String body = a.body.toString(StandardCharsets.UTF_8);
    assertThat(body).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
    assertThat(a.contentLength).isEqualTo(body.length());
    assertThat(seen.get().op()).isEqualTo("confirm");
    assertThat(seen.get().header("x-tenant")).isEqualTo("t1");
    assertThat(seen.get().bodyAsString()).isEqualTo("a=1&b=2"); // a form body stays the branch's
  }

  @Test
  void outcomesAndMissingParametersUseTheCoreMapping() throws Exception {
    Answer failed = call(QUERY, "", req -> {
      throw new BranchFailedException("no ONGOING here");
    });
    assertThat(failed.status).isEqualTo(409);
    assertThat(BranchResponseTest.dtmReading(failed.status, failed.body.toString(StandardCharsets.UTF_8)))
        .isEqualTo("FAILURE");

    Answer missing = call("trans_type=tcc&branch_id=01&op=confirm", "", req -> null);
    assertThat(missing.status).isEqualTo(400);
    assertThat(missing.body.toString(StandardCharsets.UTF_8)).contains("\"parameter\":\"gid\"");

    Answer servlet = new Answer();
    new ServletBranchHandler(req -> BranchResult.ONGOING)
        .service(request(QUERY, Map.of(), ""), response(servlet));
    assertThat(servlet.status).isEqualTo(425);
  }
}
