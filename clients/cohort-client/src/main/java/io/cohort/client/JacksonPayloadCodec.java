package io.cohort.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Objects;

/** {@link PayloadCodec} over Jackson. */
final class JacksonPayloadCodec implements PayloadCodec {
  static final JacksonPayloadCodec DEFAULT = new JacksonPayloadCodec(JsonMapper.builder()
      .enable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .build());

  private final ObjectMapper mapper;

  JacksonPayloadCodec(ObjectMapper mapper) {
    this.mapper = Objects.requireNonNull(mapper, "mapper");
  }

  @Override
  public String encode(Object payload) {
    if (payload instanceof RawJson raw) {
      return raw.json();
    }
    try {
      return mapper.writeValueAsString(payload);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new PayloadSerializationException("cannot serialize a payload of type "
          + (payload == null ? "null" : payload.getClass().getName()) + " to JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString()), e);
    }
  }

  @Override
  public <T> T decode(String json, Class<T> type) {
    Objects.requireNonNull(type, "type");
    try {
      return mapper.readValue(json, type);
    } catch (JsonProcessingException | RuntimeException e) {
      throw new PayloadSerializationException("cannot read " + type.getName() + " from JSON: " + e.getMessage(), e);
    }
  }
}
