package io.cohort.core.engine;

import static io.cohort.core.testing.Fixtures.bytes;
import static io.cohort.core.testing.Fixtures.msgCmd;
import static io.cohort.core.testing.Fixtures.opts;
import static io.cohort.core.testing.Fixtures.sagaCmd;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.model.TransOptions;
import io.cohort.core.testing.Harness;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.ErrorCode;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every invalid command is a BAD_REQUEST that names the field, and stores nothing. */
class ValidationTest {

  enum Cmd { SUBMIT, PREPARE }

  static NewTransaction with(NewTransaction t, UnaryOperator<Builder> change) {
    return change.apply(new Builder(t)).build();
  }

  /** Copy-and-change for the eight-field command record. */
  static final class Builder {
    String gid;
    TransType type;
    List<NewTransaction.Step> steps;
    List<byte[]> payloads;
    String customData;
    String queryPrepared;
    String protocol;
    TransOptions options;

    Builder(NewTransaction t) {
      gid = t.gid();
      type = t.type();
      steps = new ArrayList<>(t.steps());
      payloads = new ArrayList<>(t.payloads());
      customData = t.customData();
      queryPrepared = t.queryPrepared();
      protocol = t.protocol();
      options = t.options();
    }

    Builder gid(String g) {
      gid = g;
      return this;
    }

    Builder type(TransType t) {
      type = t;
      return this;
    }

    Builder step(int i, String action, String compensate) {
      steps.set(i, new NewTransaction.Step(action, compensate));
      return this;
    }

    Builder noSteps() {
      steps.clear();
      return this;
    }

    Builder payloads(String... p) {
      payloads = Stream.of(p).map(s -> bytes(s)).toList();
      return this;
    }

    Builder customData(String c) {
      customData = c;
      return this;
    }

    Builder queryPrepared(String q) {
      queryPrepared = q;
      return this;
    }

    Builder protocol(String p) {
      protocol = p;
      return this;
    }

    Builder options(TransOptions o) {
      options = o;
      return this;
    }

    NewTransaction build() {
      return new NewTransaction(gid, type, steps, payloads, customData, queryPrepared, protocol, options);
    }
  }

  static final NewTransaction SAGA = sagaCmd("g1", 2, TransOptions.DEFAULTS);
  static final NewTransaction MSG = msgCmd("g1", 2, TransOptions.DEFAULTS);

  static Arguments bad(String name, Cmd cmd, NewTransaction t, String field) {
    return Arguments.of(Named.of(name, cmd), t, field);
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        bad("missing gid", Cmd.SUBMIT, with(SAGA, b -> b.gid(null)), "gid is required"),
        bad("empty gid", Cmd.SUBMIT, with(SAGA, b -> b.gid("")), "gid is required"),
        bad("gid of 129 characters", Cmd.SUBMIT, with(SAGA, b -> b.gid("g".repeat(129))), "gid is 129 characters"),
        bad("gid with a newline", Cmd.SUBMIT, with(SAGA, b -> b.gid("a\nb")), "gid contains a forbidden character"),
        bad("gid with a NUL", Cmd.PREPARE, with(MSG, b -> b.gid("a\0b")), "gid contains a forbidden character"),
        bad("gid with ;", Cmd.SUBMIT, with(SAGA, b -> b.gid("a;b")), "gid contains a forbidden character"),
        bad("unknown trans_type", Cmd.SUBMIT, with(SAGA, b -> b.type(null)), "trans_type is required"),
        bad("tcc with steps", Cmd.SUBMIT, with(SAGA, b -> b.type(TransType.TCC)), "takes no steps or payloads"),
        bad("xa with steps", Cmd.PREPARE, with(MSG, b -> b.type(TransType.XA)), "takes no steps or payloads"),
        bad("workflow with steps", Cmd.SUBMIT, with(SAGA, b -> b.type(TransType.WORKFLOW)),
            "takes no steps or payloads"),
        bad("saga without steps", Cmd.SUBMIT, with(SAGA, Builder::noSteps), "steps"),
        bad("msg submitted without steps", Cmd.SUBMIT, with(MSG, Builder::noSteps), "steps"),
        bad("fewer payloads than steps", Cmd.SUBMIT, with(SAGA, b -> b.payloads("{}")), "payloads has 1 entries"),
        bad("more payloads than steps", Cmd.PREPARE, with(MSG, b -> b.payloads("{}", "{}", "{}")), "payloads"),
        bad("ftp action", Cmd.SUBMIT, with(SAGA, b -> b.step(1, "ftp://svc/x", "http://svc/c")), "steps[1].action"),
        bad("file compensate", Cmd.SUBMIT, with(SAGA, b -> b.step(0, "http://svc/a", "file:///etc/passwd")),
            "steps[0].compensate"),
        bad("relative action", Cmd.SUBMIT, with(SAGA, b -> b.step(0, "/api/a", "http://svc/c")), "steps[0].action"),
        bad("topic action without a topic", Cmd.PREPARE, with(MSG, b -> b.step(0, "topic://", "")),
            "steps[0].action names no topic"),
        bad("topic action in a saga", Cmd.SUBMIT, with(SAGA, b -> b.step(0, "topic://orders", "http://svc/c")),
            "steps[0].action"),
        bad("action without host", Cmd.SUBMIT, with(SAGA, b -> b.step(0, "http:///a", "http://svc/c")),
            "steps[0].action"),
        bad("bad query_prepared", Cmd.PREPARE, with(MSG, b -> b.queryPrepared("grpc://svc/q")), "query_prepared"),
        bad("prepare without query_prepared", Cmd.PREPARE, with(MSG, b -> b.queryPrepared("")), "query_prepared"),
        bad("grpc protocol", Cmd.SUBMIT, with(SAGA, b -> b.protocol("grpc")), "protocol"),
        bad("custom_data too long", Cmd.SUBMIT, with(SAGA, b -> b.customData("x".repeat(1025))), "custom_data"),
        bad("cycle in orders", Cmd.SUBMIT, with(SAGA, b -> b.options(opts().order(0, 1).order(1, 0).build())),
            "custom_data.orders has a cycle"),
        bad("self-dependency in orders", Cmd.SUBMIT, with(SAGA, b -> b.options(opts().order(1, 1).build())),
            "custom_data.orders has a cycle"),
        bad("orders key out of range", Cmd.SUBMIT, with(SAGA, b -> b.options(opts().order(2, 0).build())),
            "custom_data.orders names step 2"),
        bad("orders dependency out of range", Cmd.SUBMIT, with(SAGA, b -> b.options(opts().order(1, 5).build())),
            "custom_data.orders[1] names step 5"),
        bad("negative orders dependency", Cmd.SUBMIT, with(SAGA, b -> b.options(opts().order(1, -1).build())),
            "custom_data.orders[1] names step -1"),
        bad("negative timeout_to_fail", Cmd.SUBMIT,
            with(SAGA, b -> b.options(opts().timeoutToFail(Duration.ofSeconds(-1)).build())), "timeout_to_fail"),
        bad("negative request_timeout", Cmd.SUBMIT,
            with(SAGA, b -> b.options(opts().requestTimeout(Duration.ofSeconds(-1)).build())), "request_timeout"),
        bad("negative retry_interval", Cmd.PREPARE,
            with(MSG, b -> b.options(opts().retryInterval(Duration.ofSeconds(-1)).build())), "retry_interval"),
        bad("negative delay", Cmd.SUBMIT, with(MSG, b -> b.options(opts().delay(Duration.ofSeconds(-1)).build())),
            "delay"),
        bad("negative retry_limit", Cmd.SUBMIT, with(SAGA, b -> b.options(opts().retryLimit(-1).build())),
            "retry_limit"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void refusedAsBadRequestNamingTheFieldAndNothingIsStored(Cmd cmd, NewTransaction t, String field) {
    Harness h = new Harness();
    assertThatThrownBy(() -> {
      if (cmd == Cmd.SUBMIT) {
        h.engine.submit(t);
      } else {
        h.engine.prepare(t);
      }
    }).isInstanceOfSatisfying(CohortException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
        .hasMessageContaining(field);
    assertThat(h.store.size()).isZero();
    assertThat(h.store.writes()).isZero();
    assertThat(h.invoker.received()).isEmpty();
  }

  /** The boundary cases just inside the rules are accepted, so the cases above fail for the reason they name. */
  @Test
  void theValidNeighboursAreAccepted() {
    Harness h = new Harness();
    h.engine.submit(with(SAGA, b -> b.gid("g".repeat(128))));
    h.engine.submit(with(SAGA, b -> b.gid("with-payloads").payloads("{\"a\":1}", "null")));
    h.engine.submit(with(SAGA, b -> b.gid("https").step(0, "https://svc/a", "")));
    h.engine.submit(with(SAGA, b -> b.gid("dag").options(opts().order(1, 0).build())));
    h.engine.submit(with(SAGA, b -> b.gid("zero").options(opts().timeoutToFail(Duration.ZERO).build())));
    h.engine.submit(with(SAGA, b -> b.gid("custom").customData("x".repeat(1024))));
    h.engine.submit(with(SAGA, b -> b.gid("proto").protocol("")));
    h.engine.prepare(with(MSG, b -> b.gid("prep")));
    h.engine.prepare(with(MSG, b -> b.gid("prep-empty").noSteps()));
    assertThat(h.store.size()).isEqualTo(9);
    assertThat(h.store.get("prep").status()).isEqualTo(GlobalStatus.PREPARED);
  }
}
