package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Starts transactions the way a DTM SDK does: a JSON body posted to the coordinator's base URL. Deliberately plain
 * JDK HTTP, so the test kit's tests do not depend on any client library.
 */
final class Dtm {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Dtm() {}

  /** Submits a saga of two steps (action and compensation URLs for each), without waiting for its result. */
  static void submitSaga(CohortTestServer cohort, String gid, String action1, String compensate1, String action2,
      String compensate2) {
    post(cohort, "submit", """
        {"gid":"%s","trans_type":"saga",
         "steps":[{"action":"%s","compensate":"%s"},{"action":"%s","compensate":"%s"}],
         "payloads":["{\\"amount\\":30}","{\\"amount\\":30}"]}"""
        .formatted(gid, action1, compensate1, action2, compensate2));
  }

  /** Prepares a one-step message with a check-back URL, and never submits it. */
  static void prepareMsg(CohortTestServer cohort, String gid, String action, String queryPrepared) {
    post(cohort, "prepare", """
        {"gid":"%s","trans_type":"msg","steps":[{"action":"%s"}],"payloads":["{}"],"query_prepared":"%s"}"""
        .formatted(gid, action, queryPrepared));
  }

  /** Posts {@code body} to {@code <baseUrl>/<path>} and asserts DTM's success answer. */
  static void post(CohortTestServer cohort, String path, String body) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(cohort.baseUrl() + "/" + path))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    HttpResponse<String> response;
    try {
      response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("cannot reach the coordinator at " + cohort.baseUrl(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    assertThat(response.statusCode()).as("%s answered %s", path, response.body()).isEqualTo(200);
    assertThat(response.body()).contains("SUCCESS");
  }
}
