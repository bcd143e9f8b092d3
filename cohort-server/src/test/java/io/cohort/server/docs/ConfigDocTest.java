package io.cohort.server.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.server.config.ConfigKey;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md is generated from {@link ConfigKey}: this test fails when they differ; run it with
 * {@code -Dcohort.updateDocs=true} to rewrite the file.
 */
class ConfigDocTest {

  static String render() {
    StringBuilder sb = new StringBuilder();
    sb.append("# Configuration\n\n")
        .append("<!-- Generated from ConfigKey by ConfigDocTest; edit the key table, then run the test with ")
        .append("-Dcohort.updateDocs=true. -->\n\n")
        .append("Every key can be set in four places. From lowest to highest precedence:\n\n")
        .append("1. the built-in default;\n")
        .append("2. the YAML file given with `--config FILE` (nested keys: `http: {port: 8080}` is `http.port`);\n")
        .append("3. the environment variable (`COHORT_` + the key in upper case, `.` and `-` as `_`);\n")
        .append("4. the command-line flag `--KEY=VALUE`.\n\n")
        .append("Everything is validated at start; an error names the key and where the bad value came from, and ")
        .append("the server does not start. The effective configuration, with the source of each value, is logged ")
        .append("once at start.\n\n")
        .append("Durations are written `500ms`, `3s`, `5m`, `1h`, `7d`; sizes `1048576`, `512KiB`, `1MiB`.\n\n")
        .append("| Key | Environment | Default | Meaning |\n|---|---|---|---|\n");
    for (ConfigKey k : ConfigKey.values()) {
      sb.append("| `").append(k.key()).append("` | `").append(k.envName()).append("` | `")
          .append(k.defaultValue().isEmpty() ? "(random)" : k.defaultValue()).append("` | ").append(k.doc())
          .append(" |\n");
    }
    sb.append("\nShort flags: `--port` for `--http.port`, `--data-dir` for `--store.embedded.dir`. ")
        .append("`COHORT_LOG_LEVEL` sets the log level (default INFO).\n\n")
        .append("Example `cohort.yaml`:\n\n```yaml\nhttp:\n  port: 36789\nstore:\n  embedded:\n    dir: /var/lib/cohort\n")
        .append("engine:\n  retry-interval: 2s\n  max-retry-interval: 1m\nretention:\n  finished: 3d\n```\n");
    return sb.toString();
  }

  @Test
  void configurationDocMatchesTheKeyTable() throws Exception {
    Path doc = Path.of("..", "docs", "configuration.md");
    String expected = render();
    if (Boolean.getBoolean("cohort.updateDocs")) {
      Files.writeString(doc, expected);
    }
    assertThat(Files.exists(doc)).as("docs/configuration.md exists (generate with -Dcohort.updateDocs=true)").isTrue();
    assertThat(Files.readString(doc)).isEqualTo(expected);
  }
}
