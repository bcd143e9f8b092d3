package io.cohort.client;

import io.cohort.client.internal.ClientRuntime;
import io.cohort.client.internal.HttpCoordinator;
import io.cohort.client.internal.HttpTransport;
import io.cohort.client.msg.Msg;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.saga.Saga;
import io.cohort.client.tcc.Tcc;
import io.cohort.client.tcc.TccTransaction;
import io.cohort.client.workflow.Workflows;
import io.cohort.client.xa.XaTransaction;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** The HTTP implementation of {@link CohortClient}. */
final class DefaultCohortClient implements CohortClient {
  private final CohortClientOptions options;
  private final HttpTransport transport;
  private final HttpCoordinator coordinator;
  private final ClientRuntime runtime;

  DefaultCohortClient(CohortClientOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    this.transport = new HttpTransport(options.connectTimeout(), options.interceptors(), options.clock());
    this.coordinator = new HttpCoordinator(options.coordinator(), transport, options.callTimeout());
    this.runtime = new ClientRuntime(options, coordinator, transport);
  }

  @Override
  public CohortClientOptions options() {
    return options;
  }

  @Override
  public Coordinator coordinator() {
    return coordinator;
  }

  @Override
  public String newGid() {
    return coordinator.newGid();
  }

  @Override
  public Saga saga() {
    return new Saga(runtime, newGid());
  }

  @Override
  public Saga saga(String gid) {
    return new Saga(runtime, gid);
  }

  @Override
  public TccTransaction tcc() {
    return new TccTransaction(runtime, newGid());
  }

  @Override
  public TccTransaction tcc(String gid) {
    return new TccTransaction(runtime, gid);
  }

  @Override
  public Tcc tccBranchOf(BranchRequest request) {
    Objects.requireNonNull(request, "request");
    if (!"tcc".equals(request.transType()) || !"try".equals(request.op())) {
      throw new IllegalArgumentException("nested TCC branches can only be called from a TCC try; this request is "
          + request.transType() + "/" + request.op());
    }
    return new Tcc(runtime, request.gid(), request.branchId(), Map.of());
  }

  @Override
  public XaTransaction xa() {
    return new XaTransaction(runtime, newGid());
  }

  @Override
  public XaTransaction xa(String gid) {
    return new XaTransaction(runtime, gid);
  }

  @Override
  public Msg msg() {
    return new Msg(runtime, newGid());
  }

  @Override
  public Msg msg(String gid) {
    return new Msg(runtime, gid);
  }

  @Override
  public Workflows workflows(String resumeUrl) {
    return Workflows.create(this, runtime, resumeUrl);
  }

  @Override
  public Optional<TransactionInfo> query(String gid) {
    return coordinator.query(gid);
  }

  @Override
  public TransactionInfo awaitFinal(String gid, Duration timeout) {
    return coordinator.awaitFinal(gid, timeout);
  }

  @Override
  public void close() {
    transport.close();
  }
}
