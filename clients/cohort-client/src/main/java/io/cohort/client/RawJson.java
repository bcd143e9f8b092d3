package io.cohort.client;

import java.util.Objects;

/** A payload that is already JSON text; every codec sends it as is. */
public record RawJson(String json) {
  public RawJson {
    Objects.requireNonNull(json, "json");
  }

  public static RawJson of(String json) {
    return new RawJson(json);
  }
}
