package io.cohort.core;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameMatching;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import io.cohort.core.archfixture.Violators;
import io.cohort.core.engine.Engine;
import java.time.Clock;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine is pure (STYLE practices 4 and 5): no network, no files, no threads or executors of its own, no clock
 * but the injected {@link InstantSource}. I/O happens behind the ports, in the server and the stores.
 */
class ArchitectureTest {
  static final String CORE = "io.cohort.core..";

  static final ArchRule NO_NETWORK = noClasses().that().resideInAPackage(CORE)
      .should().dependOnClassesThat().resideInAPackage("java.net..")
      .because("branch calls go through the BranchInvoker port");

  static final ArchRule NO_FILES = noClasses().that().resideInAPackage(CORE)
      .should().dependOnClassesThat().resideInAPackage("java.nio.file..")
      .orShould().dependOnClassesThat().haveNameMatching("java\\.io\\.File.*")
      .because("persistence goes through the TransactionStore port");

  static final ArchRule NO_THREADS = noClasses().that().resideInAPackage(CORE)
      .should().callConstructorWhere(target(owner(assignableTo(Thread.class))))
      .orShould().callMethodWhere(target(owner(assignableTo(Thread.class)))
          .and(target(name("startVirtualThread").or(name("ofVirtual")).or(name("ofPlatform")).or(name("sleep")))))
      .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.Thread$Builder")
      .because("the engine runs on its caller's thread; the server owns threads");

  static final ArchRule NO_EXECUTORS = noClasses().that().resideInAPackage(CORE)
      .should().dependOnClassesThat(resideInAPackage("java.util.concurrent").and(nameMatching(
          ".*\\.(Executor|Executors|ExecutorService|ScheduledExecutorService|ThreadPoolExecutor"
              + "|ScheduledThreadPoolExecutor|ForkJoinPool|ThreadFactory)$")))
      .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Timer")
      .orShould().callMethodWhere(target(owner(assignableTo(CompletableFuture.class))).and(target(nameMatching(".*Async"))))
      .because("concurrent branch calls are futures from the invoker, joined by the engine; no pools in core");

  static final ArchRule NO_SYSTEM_TIME = noClasses().that().resideInAPackage(CORE)
      .should().callMethod(System.class, "currentTimeMillis")
      .orShould().callMethod(System.class, "nanoTime")
      .orShould().callMethodWhere(target(name("now")).and(target(owner(resideInAPackage("java.time..")))))
      .orShould().callMethodWhere(target(owner(assignableTo(Clock.class)))
          .and(target(name("systemUTC").or(name("systemDefaultZone")).or(name("system")))))
      .orShould().callMethodWhere(target(owner(assignableTo(InstantSource.class))).and(target(name("system"))))
      .because("time comes only from the injected InstantSource (STYLE practice 5)");

  static JavaClasses core;

  @BeforeAll
  static void importCore() {
    core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.cohort.core");
  }

  @Test
  void theImportSeesTheEngineAndNoTestCode() {
    assertThat(core.contain(Engine.class)).isTrue();
    assertThat(core.contain(Violators.UsesNetwork.class)).isFalse();
    assertThat(core.size()).isGreaterThan(15);
  }

  @Test
  void coreDoesNoNetworkIo() {
    NO_NETWORK.check(core);
  }

  @Test
  void coreTouchesNoFiles() {
    NO_FILES.check(core);
  }

  @Test
  void coreMakesNoThreads() {
    NO_THREADS.check(core);
  }

  @Test
  void coreUsesNoExecutors() {
    NO_EXECUTORS.check(core);
  }

  @Test
  void coreReadsTimeOnlyFromTheInjectedSource() {
    NO_SYSTEM_TIME.check(core);
  }

  static Arguments violation(ArchRule rule, String ruleName, Class<?> violator) {
    return Arguments.of(Named.of(ruleName + " catches " + violator.getSimpleName(), rule), violator);
  }

  static Stream<Arguments> violators() {
    return Stream.of(
        violation(NO_NETWORK, "NO_NETWORK", Violators.UsesNetwork.class),
        violation(NO_FILES, "NO_FILES", Violators.UsesFilePaths.class),
        violation(NO_FILES, "NO_FILES", Violators.UsesJavaIoFile.class),
        violation(NO_THREADS, "NO_THREADS", Violators.ConstructsThread.class),
        violation(NO_THREADS, "NO_THREADS", Violators.StartsVirtualThread.class),
        violation(NO_THREADS, "NO_THREADS", Violators.BuildsThread.class),
        violation(NO_THREADS, "NO_THREADS", Violators.Sleeps.class),
        violation(NO_EXECUTORS, "NO_EXECUTORS", Violators.MakesExecutor.class),
        violation(NO_EXECUTORS, "NO_EXECUTORS", Violators.UsesForkJoinPool.class),
        violation(NO_EXECUTORS, "NO_EXECUTORS", Violators.RunsAsync.class),
        violation(NO_SYSTEM_TIME, "NO_SYSTEM_TIME", Violators.ReadsCurrentTimeMillis.class),
        violation(NO_SYSTEM_TIME, "NO_SYSTEM_TIME", Violators.ReadsNanoTime.class),
        violation(NO_SYSTEM_TIME, "NO_SYSTEM_TIME", Violators.ReadsInstantNow.class),
        violation(NO_SYSTEM_TIME, "NO_SYSTEM_TIME", Violators.ReadsLocalDateTimeNow.class),
        violation(NO_SYSTEM_TIME, "NO_SYSTEM_TIME", Violators.UsesSystemClock.class),
        violation(NO_SYSTEM_TIME, "NO_SYSTEM_TIME", Violators.UsesSystemInstantSource.class));
  }

  /** Each rule reports the code it is meant to forbid: a rule that matches nothing cannot pass unnoticed. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("violators")
  void eachRuleCatchesItsViolator(ArchRule rule, Class<?> violator) {
    EvaluationResult result = rule.evaluate(new ClassFileImporter().importClasses(violator));
    assertThat(result.hasViolation()).as(rule.getDescription()).isTrue();
  }
}
