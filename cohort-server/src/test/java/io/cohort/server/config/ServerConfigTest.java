package io.cohort.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsMatchTheKeyTable() {
    ServerConfig c = ServerConfig.load(null, Map.of(), Map.of());
    assertThat(c.httpPort()).isEqualTo(36789);
    assertThat(c.maxBodyBytes()).isEqualTo(1024 * 1024);
    assertThat(c.retention()).isEqualTo(Duration.ofDays(7));
    assertThat(c.retryInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.storeSync()).isTrue();
    assertThat(c.nodeId()).startsWith("cohort-");
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsTheFile() throws Exception {
    Path yaml = dir.resolve("c.yaml");
    Files.writeString(yaml, "http:\n  port: 1111\n  host: 127.0.0.1\nengine:\n  retry-interval: 2s\n");
    ServerConfig fileOnly = ServerConfig.load(yaml, Map.of(), Map.of());
    assertThat(fileOnly.httpPort()).isEqualTo(1111);
    assertThat(fileOnly.retryInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(fileOnly.sources().get(ConfigKey.HTTP_PORT)).contains("c.yaml");

    ServerConfig env = ServerConfig.load(yaml, Map.of("COHORT_HTTP_PORT", "2222"), Map.of());
    assertThat(env.httpPort()).isEqualTo(2222);
    assertThat(env.httpHost()).isEqualTo("127.0.0.1");

    ServerConfig flag = ServerConfig.load(yaml, Map.of("COHORT_HTTP_PORT", "2222"), Map.of("http.port", "3333"));
    assertThat(flag.httpPort()).isEqualTo(3333);
    assertThat(flag.describe()).contains("http.port = 3333  (flag --http.port)");
  }

  @Test
  void sharedStoresAreChosenAndConfiguredAndSecretsNeverShown() {
    ServerConfig jdbc = ServerConfig.load(null, Map.of("COHORT_STORE_JDBC_PASSWORD", "hunter2"), Map.of(
        "store.type", "jdbc", "store.jdbc.url", "jdbc:postgresql://db:5432/cohort?password=inurl",
        "store.jdbc.user", "cohort", "store.jdbc.pool-size", "32"));
    assertThat(jdbc.storeType()).isEqualTo("jdbc");
    assertThat(jdbc.jdbc().poolSize()).isEqualTo(32);
    assertThat(jdbc.jdbc().password()).isEqualTo("hunter2");
    assertThat(jdbc.describe()).contains("store.jdbc.password = ***").doesNotContain("hunter2")
        .doesNotContain("inurl").contains("store.jdbc.url = jdbc:postgresql://db:5432/cohort?password=***");
    assertThat(jdbc.jdbc().toString()).doesNotContain("hunter2");

    ServerConfig redis = ServerConfig.load(null, Map.of(), Map.of("store.type", "redis", "store.redis.uri",
        "redis://:pw@a:7000, redis://:pw@b:7001", "store.redis.cluster", "true"));
    assertThat(redis.redis().uris()).containsExactly("redis://:pw@a:7000", "redis://:pw@b:7001");
    assertThat(redis.redis().cluster()).isTrue();
    assertThat(redis.describe()).contains("redis://:***@a:7000,redis://:***@b:7001").doesNotContain(":pw@");
  }

  @Test
  void aSharedStoreWithoutItsAddressOrAnUnknownStoreIsRefusedByName() {
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("store.type", "jdbc")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("store.jdbc.url").hasMessageContaining("required");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("store.type", "cassandra")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("store.type").hasMessageContaining("jdbc");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("store.type", "redis", "store.redis.uri", " ")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("store.redis.uri");
  }

  @Test
  void unitsParse() {
    ServerConfig c = ServerConfig.load(null, Map.of(),
        Map.of("http.max-body", "512KiB", "engine.retry-interval", "500ms", "retention.finished", "3d"));
    assertThat(c.maxBodyBytes()).isEqualTo(512 * 1024);
    assertThat(c.retryInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.retention()).isEqualTo(Duration.ofDays(3));
  }

  @Test
  void errorsNameTheKeyAndTheSource() throws Exception {
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of("COHORT_HTTP_PORT", "abc"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.port")
        .hasMessageContaining("COHORT_HTTP_PORT")
        .hasMessageContaining("integer");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.retry-interval", "10")))
        .hasMessageContaining("engine.retry-interval").hasMessageContaining("duration");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.retry-interval", "0s")))
        .hasMessageContaining("greater than zero");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("http.port", "70000")))
        .hasMessageContaining("port number");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("store.embedded.sync", "yes")))
        .hasMessageContaining("true or false");
    assertThatThrownBy(() -> ServerConfig.load(null, Map.of(), Map.of("engine.max-retry-interval", "1s")))
        .hasMessageContaining("engine.max-retry-interval").hasMessageContaining("retry-interval");
    Path yaml = dir.resolve("bad.yaml");
    Files.writeString(yaml, "http:\n  prot: 1\n");
    assertThatThrownBy(() -> ServerConfig.load(yaml, Map.of(), Map.of()))
        .hasMessageContaining("unknown configuration key 'http.prot'");
  }
}
