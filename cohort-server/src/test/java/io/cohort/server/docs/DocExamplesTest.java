package io.cohort.server.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.server.support.TestCoordinator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs every {@code curl} line of docs/http-api.md against a live coordinator, in order, and checks each
 * {@code # expect:} line below it appears in the answer. The docs cannot drift from the server.
 */
class DocExamplesTest {

  record Example(String command, List<String> expectations) {}

  static List<Example> examples(Path doc) throws IOException {
    List<Example> out = new ArrayList<>();
    for (String line : Files.readAllLines(doc)) {
      if (line.startsWith("curl ")) {
        out.add(new Example(line, new ArrayList<>()));
      } else if (line.startsWith("# expect: ") && !out.isEmpty()) {
        out.get(out.size() - 1).expectations().add(line.substring("# expect: ".length()));
      }
    }
    return out;
  }

  @Test
  void everyCurlExampleInTheHttpApiDocWorks() throws Exception {
    Path doc = Path.of("..", "docs", "http-api.md");
    List<Example> examples = examples(doc);
    assertThat(examples).hasSizeGreaterThan(15);
    try (TestCoordinator dtm = TestCoordinator.inMemory()) {
      for (Example e : examples) {
        assertThat(e.expectations()).as("every example states what it expects: %s", e.command()).isNotEmpty();
        String cmd = e.command().replace("localhost:36789", "127.0.0.1:" + dtm.server().port());
        Process p = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("finished: %s", cmd).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        for (String expected : e.expectations()) {
          assertThat(out).as("answer to %s", e.command()).contains(expected);
        }
      }
    }
  }
}
