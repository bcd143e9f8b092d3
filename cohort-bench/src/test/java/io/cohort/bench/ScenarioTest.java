package io.cohort.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ScenarioTest {
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void sagaEmptyIsATwoStepSagaWithEmptyUrlsAndWaitResult() throws Exception {
    JsonNode body = json.readTree(Scenario.SAGA_EMPTY.body("", json).forGid("bench-x-1"));
    assertThat(body.path("gid").asText()).isEqualTo("bench-x-1");
    assertThat(body.path("trans_type").asText()).isEqualTo("saga");
    assertThat(body.path("wait_result").asBoolean()).isTrue();
    assertThat(body.path("steps")).hasSize(2);
    for (JsonNode step : body.path("steps")) {
      assertThat(step.path("action").asText()).isEmpty();
      assertThat(step.path("compensate").asText()).isEmpty();
    }
    assertThat(body.path("payloads")).hasSize(2);
    assertThat(json.readTree(body.path("payloads").get(0).asText()).path("amount").asInt()).isEqualTo(30);
  }

  @Test
  void sagaHttpPointsItsFourBranchUrlsAtTheParticipants() throws Exception {
    JsonNode body = json.readTree(Scenario.SAGA_HTTP.body("http://127.0.0.1:9", json).forGid("g-2"));
    assertThat(body.path("steps").get(0).path("action").asText()).isEqualTo("http://127.0.0.1:9/saga/step1/action");
    assertThat(body.path("steps").get(0).path("compensate").asText())
        .isEqualTo("http://127.0.0.1:9/saga/step1/compensate");
    assertThat(body.path("steps").get(1).path("action").asText()).isEqualTo("http://127.0.0.1:9/saga/step2/action");
    assertThat(body.path("steps").get(1).path("compensate").asText())
        .isEqualTo("http://127.0.0.1:9/saga/step2/compensate");
  }

  @Test
  void scenarioNamesAreTheWireNames() {
    assertThat(Scenario.fromWire("saga-http")).isEqualTo(Scenario.SAGA_HTTP);
    assertThatThrownBy(() -> Scenario.fromWire("tcc")).hasMessageContaining("saga-empty or saga-http");
  }
}
