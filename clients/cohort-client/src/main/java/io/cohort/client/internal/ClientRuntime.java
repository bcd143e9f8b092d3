package io.cohort.client.internal;

import io.cohort.client.CohortClientOptions;
import io.cohort.client.PayloadCodec;

/** Internal, not API. What the builders share with the client that made them. */
public record ClientRuntime(CohortClientOptions options, HttpCoordinator coordinator, HttpTransport transport) {
  public PayloadCodec codec() {
    return options.codec();
  }
}
