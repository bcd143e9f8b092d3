package io.cohort.testkit;

import java.lang.reflect.Executable;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A JUnit 5 extension that gives each test an in-process coordinator ({@link CohortTestServer}) and its
 * {@link ManualClock}, and stops it afterwards.
 *
 * <p>Why: a test of a saga needs a coordinator that starts empty, runs on a clock the test controls and goes away
 * when the test ends, or one test's leftovers and timing leak into the next. Declare a {@link CohortTestServer} or
 * {@link ManualClock} parameter on a test method, a {@code @BeforeEach} method or the test class's constructor, and
 * the extension supplies it.
 *
 * <p>By default every test method gets a fresh server (empty store, clock at {@link ManualClock#DEFAULT_START}); the
 * constructor, the {@code @BeforeEach} methods and the test method of one test all see the same one. With
 * {@link Builder#perClass()} the tests of a class share one server, which {@code @BeforeAll} methods can also take;
 * it is stopped after the class. A server is only started when something asks for it.
 *
 * <pre>{@code
 * @ExtendWith(CohortExtension.class)
 * class OrderSagaTest {
 *   @Test
 *   void retriesAfterTheRetryInterval(CohortTestServer cohort, ManualClock clock) { ... }
 * }
 *
 * class PaymentSagaTest {
 *   @RegisterExtension
 *   static CohortExtension cohort = CohortExtension.builder().retryInterval(Duration.ofSeconds(1)).build();
 *   ...
 * }
 * }</pre>
 */
public final class CohortExtension implements ParameterResolver, AfterEachCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(CohortExtension.class);

  private final CohortTestServer.Builder options;
  private final boolean perClass;

  /** One fresh server per test method, with the default options (what {@code @ExtendWith} uses). */
  public CohortExtension() {
    this(CohortTestServer.builder(), false);
  }

  private CohortExtension(CohortTestServer.Builder options, boolean perClass) {
    this.options = options;
    this.perClass = perClass;
  }

  /** Options for an extension to register with {@code @RegisterExtension}. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == CohortTestServer.class || type == ManualClock.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    CohortTestServer server = serverFor(parameter, context);
    if (parameter.getParameter().getType() == CohortTestServer.class) {
      return server;
    }
    try {
      return server.clock();
    } catch (IllegalStateException e) {
      throw new ParameterResolutionException("cannot supply a ManualClock to " + where(parameter)
          + ": the extension's server runs on the real clock (realClock())", e);
    }
  }

  /**
   * Resolves constructor parameters in the test method's context, so that a constructor and the test method of one
   * test share one server (and a per-method server is stopped after its test).
   */
  @Override
  public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
    return ExtensionContextScope.TEST_METHOD;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop(context);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (perClass) {
      stop(context);
    }
  }

  /** The server of the test or class {@code context} belongs to, started on first use. */
  private CohortTestServer serverFor(ParameterContext parameter, ExtensionContext context) {
    ExtensionContext owner = context;
    if (perClass) {
      while (owner.getTestMethod().isPresent() && owner.getParent().isPresent()) {
        owner = owner.getParent().get();
      }
    } else if (context.getTestMethod().isEmpty()) {
      throw new ParameterResolutionException("cannot supply a per-test coordinator to " + where(parameter)
          + ", which runs outside any one test (@BeforeAll, or a constructor under @TestInstance(PER_CLASS)); "
          + "register the extension with CohortExtension.builder().perClass().build() to share one server");
    }
    ExtensionContext.Store store = owner.getStore(NAMESPACE);
    synchronized (this) {
      CohortTestServer server = store.get(this, CohortTestServer.class);
      if (server == null) {
        server = options.start();
        store.put(this, server);
      }
      return server;
    }
  }

  private void stop(ExtensionContext context) {
    CohortTestServer server;
    synchronized (this) {
      server = context.getStore(NAMESPACE).remove(this, CohortTestServer.class);
    }
    if (server != null) {
      server.close();
    }
  }

  private static String where(ParameterContext parameter) {
    Executable e = parameter.getDeclaringExecutable();
    return "parameter " + parameter.getIndex() + " of " + e.getDeclaringClass().getSimpleName() + "."
        + e.getName();
  }

  /**
   * Options for a {@link CohortExtension}: the same server options as {@link CohortTestServer.Builder}, and whether
   * tests share one server.
   */
  public static final class Builder {
    private final CohortTestServer.Builder server = CohortTestServer.builder();
    private boolean perClass;

    private Builder() {}

    /** See {@link CohortTestServer.Builder#retryInterval}. */
    public Builder retryInterval(Duration interval) {
      server.retryInterval(interval);
      return this;
    }

    /** See {@link CohortTestServer.Builder#timeoutToFail}. */
    public Builder timeoutToFail(Duration timeout) {
      server.timeoutToFail(timeout);
      return this;
    }

    /** See {@link CohortTestServer.Builder#requestTimeout}. */
    public Builder requestTimeout(Duration timeout) {
      server.requestTimeout(timeout);
      return this;
    }

    /** See {@link CohortTestServer.Builder#realClock}; a {@link ManualClock} parameter then cannot be supplied. */
    public Builder realClock() {
      server.realClock();
      return this;
    }

    /** See {@link CohortTestServer.Builder#property}. */
    public Builder property(String key, String value) {
      server.property(key, value);
      return this;
    }

    /**
     * One server for all tests of a class (started when first asked for, stopped after the class). Faster, but tests
     * then see each other's transactions and clock moves.
     */
    public Builder perClass() {
      this.perClass = true;
      return this;
    }

    /** One fresh server per test method (the default). */
    public Builder perMethod() {
      this.perClass = false;
      return this;
    }

    public CohortExtension build() {
      return new CohortExtension(server.copy(), perClass);
    }
  }
}
