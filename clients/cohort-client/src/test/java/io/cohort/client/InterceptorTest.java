package io.cohort.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.http.Interceptor;
import io.cohort.client.http.Interceptors;
import io.cohort.client.http.OutboundRequest;
import io.cohort.client.http.OutboundResponse;
import io.cohort.client.testing.LoopbackParticipant;
import io.cohort.protocol.GlobalStatus;
import io.cohort.testkit.CohortTestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One interceptor chain for every call the SDK makes, in the order given. */
class InterceptorTest {
  private CohortTestServer cohort;
  private LoopbackParticipant bank;

  @BeforeEach
  void setUp() {
    cohort = CohortTestServer.start();
    bank = LoopbackParticipant.start();
  }

  @AfterEach
  void tearDown() {
    bank.close();
    cohort.close();
  }

  @Test
  void interceptorsRunInOrderAndTheBearerTokenGoesToTheCoordinatorOnly() {
    List<String> trail = new CopyOnWriteArrayList<>();
    List<OutboundRequest> sent = new CopyOnWriteArrayList<>();
    Interceptor first = chain -> {
      trail.add("first");
      return chain.proceed(chain.request().withHeader("X-Order", "first"));
    };
    Interceptor last = chain -> {
      trail.add("last:" + chain.request().header("X-Order"));
      sent.add(chain.request());
      return chain.proceed(chain.request());
    };
    CohortClientOptions options = CohortClientOptions.builder(cohort.baseUrl())
        .interceptor(first).interceptor(Interceptors.bearerToken("s3cret")).interceptor(last).build();
    try (CohortClient client = CohortClient.create(options)) {
      String gid = client.newGid();
      client.tcc(gid).execute(tcc -> tcc.callBranch(1, bank.url("/try"), bank.url("/confirm"), bank.url("/cancel")));
      assertThat(client.awaitFinal(gid, Duration.ofSeconds(10)).status()).isEqualTo(GlobalStatus.SUCCEED);
    }
    assertThat(trail).startsWith("first", "last:first");
    assertThat(sent).filteredOn(r -> r.target() == OutboundRequest.Target.COORDINATOR)
        .isNotEmpty().allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer s3cret"));
    assertThat(sent).filteredOn(r -> r.target() == OutboundRequest.Target.PARTICIPANT)
        .singleElement().satisfies(r -> assertThat(r.header("Authorization")).isNull());
    assertThat(bank.callsTo("/try").get(0).header("Authorization")).isNull();
    assertThat(bank.callsTo("/try").get(0).header("X-Order")).isEqualTo("first");
  }

  @Test
  void anInterceptorMayAnswerWithoutCallingTheNetwork() {
    Interceptor canned = chain -> new OutboundResponse(200,
        "{\"gid\":\"canned-gid\",\"dtm_result\":\"SUCCESS\"}".getBytes(StandardCharsets.UTF_8));
    try (CohortClient client = CohortClient.create(CohortClientOptions.builder("127.0.0.1:1").interceptor(canned)
        .build())) {
      assertThat(client.newGid()).isEqualTo("canned-gid");
    }
  }

  @Test
  void anIoErrorFromTheChainIsARetryableCoordinatorException() {
    Interceptor broken = chain -> {
      throw new IOException("proxy down");
    };
    try (CohortClient client = CohortClient.create(CohortClientOptions.builder(cohort.baseUrl()).interceptor(broken)
        .build())) {
      assertThatThrownBy(client::newGid).isInstanceOf(CoordinatorException.class)
          .hasMessageContaining("proxy down")
          .satisfies(e -> assertThat(((CoordinatorException) e).httpStatus()).isZero())
          .satisfies(e -> assertThat(((CoordinatorException) e).retryable()).isTrue());
    }
  }

  @Test
  void theLoggingInterceptorLogsMethodUrlAndStatusButNoBody() {
    List<String> lines = new CopyOnWriteArrayList<>();
    System.Logger logger = new System.Logger() {
      @Override
      public String getName() {
        return "test";
      }

      @Override
      public boolean isLoggable(Level level) {
        return true;
      }

      @Override
      public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        lines.add(level + " " + msg);
      }

      @Override
      public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        lines.add(level + " " + java.text.MessageFormat.format(format, params));
      }
    };
    try (CohortClient client = CohortClient.create(CohortClientOptions.builder(cohort.baseUrl())
        .interceptor(Interceptors.logging(logger)).build())) {
      client.saga().add(bank.url("/a"), "", java.util.Map.of("secret", "payload")).submit();
    }
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("DEBUG POST").contains("/submit").contains("-> 200"));
    assertThat(lines).noneMatch(l -> l.contains("payload"));
  }

  @Test
  void interceptorsMustAnswer() {
    Interceptor silent = chain -> null;
    try (CohortClient client = CohortClient.create(CohortClientOptions.builder(cohort.baseUrl()).interceptor(silent)
        .build())) {
      assertThatThrownBy(client::newGid).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("returned no response");
    }
  }

  @Test
  void builtInInterceptorsValidateTheirArguments() {
    assertThatThrownBy(() -> Interceptors.bearerToken(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Interceptors.header("Bad:Name", "v")).isInstanceOf(IllegalArgumentException.class);
    Supplier<Interceptor> ok = () -> Interceptors.header("X-Ok", "v");
    assertThat(ok.get()).isNotNull();
  }
}
