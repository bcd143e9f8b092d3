package io.cohort.client.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every code block of the Java SDK pages that is marked {@code <!-- snippet: File.java#name -->} is, line for line
 * (indentation aside), the region between the {@code // [doc:name]} markers of that test source file, which the test
 * suite compiles and runs. So the documented code cannot drift from code that works.
 */
class DocSnippetsTest {
  private static final Path ROOT = Path.of(System.getProperty("user.dir")).resolve("../..").normalize();
  private static final Pattern SNIPPET =
      Pattern.compile("<!-- snippet: ([\\w/.]+\\.java)#([\\w-]+) -->\\s*```java\\n(.*?)```", Pattern.DOTALL);

  @Test
  void markedBlocksMatchTheirSources() throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(ROOT.resolve("docs/java-sdk.md"));
    try (var s = Files.list(ROOT.resolve("docs/java-sdk"))) {
      s.filter(p -> p.toString().endsWith(".md")).forEach(pages::add);
    }
    int checked = 0;
    for (Path page : pages) {
      Matcher m = SNIPPET.matcher(Files.readString(page));
      while (m.find()) {
        Path source = ROOT.resolve("clients/cohort-client/src/test/java").resolve(m.group(1));
        assertThat(source).as("source of a snippet in " + page).exists();
        String region = region(Files.readString(source), m.group(2));
        assertThat(normalise(m.group(3))).as(page.getFileName() + " snippet " + m.group(2)).isEqualTo(
            normalise(region));
        checked++;
      }
    }
    assertThat(checked).as("snippets checked").isGreaterThanOrEqualTo(2);
  }

  private static String region(String source, String name) {
    String marker = "// [doc:" + name + "]";
    int start = source.indexOf(marker);
    int end = source.indexOf(marker, start + 1);
    assertThat(start).as("start marker " + marker).isNotNegative();
    assertThat(end).as("end marker " + marker).isGreaterThan(start);
    return source.substring(source.indexOf('\n', start) + 1, source.lastIndexOf('\n', end));
  }

  private static String normalise(String code) {
    return code.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
  }
}
