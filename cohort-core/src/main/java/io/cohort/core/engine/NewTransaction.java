package io.cohort.core.engine;

import io.cohort.core.model.TransOptions;
import io.cohort.protocol.TransType;
import java.util.List;

/**
 * A prepare or submit as the engine sees it, after the HTTP adapter decoded the body. Validated by
 * {@link #validate(boolean)} before anything is stored.
 *
 * @param steps saga: action and compensate URLs; msg: action URL (compensate empty)
 * @param payloads one body per step (empty list: no bodies); legacy {@code steps[].data} already folded in
 */
public record NewTransaction(
    String gid,
    TransType type,
    List<Step> steps,
    List<byte[]> payloads,
    String customData,
    String queryPrepared,
    String protocol,
    TransOptions options) {

  public record Step(String action, String compensate) {}

  public NewTransaction {
    steps = steps == null ? List.of() : List.copyOf(steps);
    payloads = payloads == null ? List.of() : List.copyOf(payloads);
    options = options == null ? TransOptions.DEFAULTS : options;
  }

  /**
   * Checks everything that can be checked without the store.
   *
   * @param forSubmit true for submit (a saga or msg created here needs its steps), false for prepare
   * @throws io.cohort.protocol.CohortException BAD_REQUEST naming the problem
   */
  public void validate(boolean forSubmit) {
    Validation.check(this, forSubmit);
  }
}
