package io.cohort.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class MigrationsTest {
  /** Both dialects have the same migrations, V1 to the version the code knows, and nothing else. */
  @Test
  void bothDialectsHaveEveryVersionUpToTheKnownOne() throws IOException, URISyntaxException {
    List<String> expected = IntStream.rangeClosed(1, Schema.CURRENT_VERSION).mapToObj(v -> "V" + v).toList();
    for (Dialect d : Dialect.values()) {
      URL folder = MigrationsTest.class.getClassLoader()
          .getResource(d.migrationLocation().substring("classpath:".length()));
      assertThat(folder).as(d.migrationLocation()).isNotNull();
      try (Stream<Path> files = Files.list(Path.of(folder.toURI()))) {
        List<String> versions = files.map(p -> p.getFileName().toString())
            .peek(name -> assertThat(name).matches("V\\d+__[a-z0-9_]+\\.sql"))
            .map(name -> name.substring(0, name.indexOf("__")))
            .sorted((a, b) -> Integer.compare(Integer.parseInt(a.substring(1)), Integer.parseInt(b.substring(1))))
            .toList();
        assertThat(versions).as("%s", d).isEqualTo(expected);
      }
    }
  }
}
