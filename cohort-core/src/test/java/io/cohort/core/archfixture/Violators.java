package io.cohort.core.archfixture;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;

/**
 * One small class per thing {@code ArchitectureTest} forbids in the engine. They live in a test package under
 * {@code io.cohort.core} so the rules apply to them; the test proves each rule reports its violator, so a rule that
 * silently matches nothing cannot pass. Never called.
 */
@SuppressWarnings("unused")
public final class Violators {
  private Violators() {}

  public static final class UsesNetwork {
    Object go() {
      return URI.create("http://example.test/");
    }
  }

  public static final class UsesFilePaths {
    Object go() {
      return Path.of("x");
    }
  }

  public static final class UsesJavaIoFile {
    Object go() throws IOException {
      return new FileInputStream(new File("x"));
    }
  }

  public static final class ConstructsThread {
    Object go() {
      return new Thread(() -> {});
    }
  }

  public static final class StartsVirtualThread {
    Object go() {
      return Thread.startVirtualThread(() -> {});
    }
  }

  public static final class BuildsThread {
    Object go() {
      return Thread.ofVirtual().unstarted(() -> {});
    }
  }

  public static final class Sleeps {
    void go() throws InterruptedException {
      Thread.sleep(1);
    }
  }

  public static final class MakesExecutor {
    ExecutorService go() {
      return Executors.newSingleThreadExecutor();
    }
  }

  public static final class UsesForkJoinPool {
    Object go() {
      return ForkJoinPool.commonPool();
    }
  }

  public static final class RunsAsync {
    Object go() {
      return CompletableFuture.supplyAsync(() -> 1);
    }
  }

  public static final class ReadsCurrentTimeMillis {
    long go() {
      return System.currentTimeMillis();
    }
  }

  public static final class ReadsNanoTime {
    long go() {
      return System.nanoTime();
    }
  }

  public static final class ReadsInstantNow {
    Object go() {
      return Instant.now();
    }
  }

  public static final class ReadsLocalDateTimeNow {
    Object go() {
      return LocalDateTime.now();
    }
  }

  public static final class UsesSystemClock {
    Object go() {
      return Clock.systemUTC();
    }
  }

  public static final class UsesSystemInstantSource {
    Object go() {
      return InstantSource.system();
    }
  }
}
