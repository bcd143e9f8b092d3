package io.cohort.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.server.config.ServerConfig;
import io.lettuce.core.RedisClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The coordinator starts on the store its configuration names: a saga runs on PostgreSQL and on Redis, and an
 * unreachable database or Redis stops the start with an error naming it, never its password.
 */
class SharedStoreStartTest {
  private static final String PG = "jdbc:postgresql://127.0.0.1:5432/test";

  private static ServerConfig config(Map<String, String> flags) {
    Map<String, String> all = new HashMap<>(flags);
    all.put("http.host", "127.0.0.1");
    all.put("http.port", "0");
    return ServerConfig.load(null, Map.of(), all);
  }

  private static void runsASaga(ServerConfig config) throws Exception {
    try (CohortServer server = CohortServer.start(config)) {
      String gid = "shared-" + System.nanoTime();
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.port() + "/api/dtmsvr/";
      HttpResponse<String> submit = http.send(HttpRequest.newBuilder(URI.create(base + "submit"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\","
              + "\"wait_result\":true,\"steps\":[{\"action\":\"\",\"compensate\":\"\"}],\"payloads\":[\"{}\"]}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(submit.statusCode()).as(submit.body()).isEqualTo(200);
      HttpResponse<String> query = http.send(HttpRequest.newBuilder(URI.create(base + "query?gid=" + gid)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(query.body()).contains("\"status\":\"succeed\"");
    }
  }

  @Test
  void startsOnPostgresqlAndMigratesTheSchema() throws Exception {
    try (Connection c = DriverManager.getConnection(PG, "postgres", ""); Statement s = c.createStatement()) {
      s.execute("drop schema if exists cohort_server_start cascade");
      s.execute("create schema cohort_server_start");
    }
    runsASaga(config(Map.of("store.type", "jdbc", "store.jdbc.url", PG + "?currentSchema=cohort_server_start",
        "store.jdbc.user", "postgres")));
  }

  @Test
  void startsOnRedis() throws Exception {
    String prefix = "cohort-start-" + System.nanoTime();
    try {
      runsASaga(config(Map.of("store.type", "redis", "store.redis.uri", "redis://127.0.0.1:6379",
          "store.redis.key-prefix", prefix)));
    } finally {
      RedisClient redis = RedisClient.create("redis://127.0.0.1:6379");
      try (var conn = redis.connect()) {
        var keys = conn.sync().keys("*" + prefix + "*");
        if (!keys.isEmpty()) {
          conn.sync().del(keys.toArray(String[]::new));
        }
      } finally {
        redis.shutdown();
      }
    }
  }

  @Test
  void anUnreachableStoreStopsTheStartNamingItWithoutThePassword() {
    assertThatThrownBy(() -> CohortServer.start(config(Map.of("store.type", "jdbc", "store.jdbc.url",
        "jdbc:postgresql://127.0.0.1:1/cohort", "store.jdbc.password", "s3cret", "store.jdbc.connect-timeout", "1s"))))
        .hasMessageContaining("127.0.0.1:1").satisfies(e -> assertThat(e.toString()).doesNotContain("s3cret"));
    assertThatThrownBy(() -> CohortServer.start(config(Map.of("store.type", "redis", "store.redis.uri",
        "redis://:s3cret@127.0.0.1:1"))))
        .hasMessageContaining("127.0.0.1:1").satisfies(e -> assertThat(e.toString()).doesNotContain("s3cret"));
  }
}
