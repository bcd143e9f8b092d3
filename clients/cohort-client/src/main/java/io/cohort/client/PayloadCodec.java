package io.cohort.client;

/**
 * Turns payload objects into the JSON text that travels as a branch body, and bodies back into objects. The default
 * ({@link #jackson()}) uses Jackson; plug another JSON library by implementing this interface.
 *
 * <p>Payloads that are already JSON pass through untouched when wrapped in {@link RawJson}.
 */
public interface PayloadCodec {
  /**
   * The JSON text of {@code payload}.
   *
   * @throws PayloadSerializationException naming the payload's type when it cannot be serialized
   */
  String encode(Object payload);

  /**
   * An object of {@code type} read from JSON text.
   *
   * @throws PayloadSerializationException when the text does not fit the type
   */
  <T> T decode(String json, Class<T> type);

  /** The Jackson codec with default settings. */
  static PayloadCodec jackson() {
    return JacksonPayloadCodec.DEFAULT;
  }

  /** A Jackson codec over the application's own configured mapper. */
  static PayloadCodec jackson(com.fasterxml.jackson.databind.ObjectMapper mapper) {
    return new JacksonPayloadCodec(mapper);
  }
}
