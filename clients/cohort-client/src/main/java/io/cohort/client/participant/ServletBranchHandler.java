package io.cohort.client.participant;

import io.cohort.client.barrier.InvalidBranchException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A branch endpoint as a Jakarta Servlet (the servlet API is {@code provided} by the container): register
 * {@code new ServletBranchHandler(handler)} for the branch URL, or call {@link #handle(HttpServletRequest,
 * HttpServletResponse, BranchHandler)} from a servlet or controller of your own.
 *
 * <p>The branch parameters are parsed from {@link HttpServletRequest#getQueryString()}, not from
 * {@code getParameterMap()}: for a form-encoded POST the latter would consume the body, which belongs to the branch.
 * Any HTTP method is accepted.
 */
public class ServletBranchHandler extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private final transient BranchHandler handler;

  public ServletBranchHandler(BranchHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    handle(req, resp, handler);
  }

  /** Reads the branch request from {@code req}, runs {@code handler} and writes its answer to {@code resp}. */
  public static void handle(HttpServletRequest req, HttpServletResponse resp, BranchHandler handler)
      throws IOException {
    Objects.requireNonNull(handler, "handler");
    byte[] body = req.getInputStream().readAllBytes();
    BranchResponse response;
    try {
      response = handler.respond(BranchRequest.fromQueryString(req.getQueryString(), headers(req), body));
    } catch (InvalidBranchException e) {
      response = BranchResponse.forException(e);
    }
    byte[] bytes = response.bodyBytes();
    resp.setStatus(response.status());
    resp.setContentType(response.contentType());
    resp.setContentLength(bytes.length);
    OutputStream out = resp.getOutputStream();
    out.write(bytes);
    out.flush();
  }

  private static Map<String, List<String>> headers(HttpServletRequest req) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    if (req.getHeaderNames() == null) {
      return headers; // a container may hide headers (servlet spec); the branch then sees none
    }
    for (String name : Collections.list(req.getHeaderNames())) {
      headers.put(name, Collections.list(req.getHeaders(name)));
    }
    return headers;
  }
}
