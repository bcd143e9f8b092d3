package io.cohort.client.workflow;

import io.cohort.client.CohortClient;
import io.cohort.client.TransactionInfo;
import io.cohort.client.context.CohortContext;
import io.cohort.client.internal.ClientRuntime;
import io.cohort.client.internal.Urls;
import io.cohort.client.participant.BranchHandler;
import io.cohort.client.participant.BranchOngoingException;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.participant.BranchResponse;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * The workflows of one service: functions registered by name, run by gid, and resumed through one endpoint.
 *
 * <pre>{@code
 * Workflows workflows = Workflows.create(client, "http://orders.internal:8080/workflow/resume");
 * workflows.register("transfer", wf -> {
 *   Transfer t = wf.input(Transfer.class);
 *   String debitId = wf.step(bb -> bankA.withdraw(t, bb), (id, bb) -> bankA.refund(id, bb));
 *   wf.step(bb -> bankB.deposit(t, bb));
 *   return debitId;
 * });
 * server.createContext("/workflow/resume", new JdkHttpBranchHandler(workflows.resumeHandler()));
 *
 * WorkflowResult r = workflows.execute("transfer", client.newGid(), new Transfer("alice", "bob", 30));
 * }</pre>
 *
 * <p>Why the resume URL: a workflow whose run stopped before a final status (an error, a crash) is resumed by the
 * coordinator, which calls that URL (stored as the workflow's {@code query_prepared}) with {@code op} = the workflow's
 * name, {@code branch_id} {@code 00} and the input as body, every retry interval until the workflow is final. The
 * {@link #resumeHandler()} mounted there runs the workflow again, replaying its recorded steps. Register every
 * workflow at start-up, before the endpoint takes calls: a resume of a name not registered is answered 400.
 *
 * <p>Thread-safe. Each instance runs a gid at most once at a time (see the {@linkplain io.cohort.client.workflow
 * package description} for what holds across processes); use one instance per service.
 */
public final class Workflows {
  private final CohortClient client;
  private final ClientRuntime runtime;
  private final String resumeUrl;
  private final Map<String, WorkflowFunction> functions = new ConcurrentHashMap<>();
  private final Map<String, Lease> running = new ConcurrentHashMap<>();

  private Workflows(CohortClient client, ClientRuntime runtime, String resumeUrl) {
    this.client = client;
    this.runtime = runtime;
    this.resumeUrl = resumeUrl;
  }

  /**
   * The workflows run with {@code client} and resumed at {@code resumeUrl}, the absolute http(s) URL at which this
   * service mounts {@link #resumeHandler()}. The same as {@link CohortClient#workflows(String)}.
   *
   * @throws IllegalArgumentException when the URL is not an absolute http(s) URL
   */
  public static Workflows create(CohortClient client, String resumeUrl) {
    return Objects.requireNonNull(client, "client").workflows(resumeUrl);
  }

  /** For the SDK's client; use {@link CohortClient#workflows(String)}. */
  public static Workflows create(CohortClient client, ClientRuntime runtime, String resumeUrl) {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(runtime, "runtime");
    Urls.check("resumeUrl", Objects.requireNonNull(resumeUrl, "resumeUrl"), false);
    return new Workflows(client, runtime, resumeUrl);
  }

  /** The URL the coordinator calls to resume a workflow. */
  public String resumeUrl() {
    return resumeUrl;
  }

  /**
   * Registers {@code function} under {@code name}, the name the coordinator sends back as {@code op} of a resume
   * call.
   *
   * @return this, for chaining
   * @throws IllegalArgumentException when the name is blank, contains '/' or a control character, or is taken
   */
  public Workflows register(String name, WorkflowFunction function) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(function, "function");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a workflow name must not be blank");
    }
    if (name.chars().anyMatch(c -> c == '/' || Character.isISOControl(c))) {
      throw new IllegalArgumentException("a workflow name must not contain '/' or control characters: '" + name
          + "'");
    }
    if (functions.putIfAbsent(name, function) != null) {
      throw new IllegalArgumentException("a workflow named '" + name + "' is already registered");
    }
    return this;
  }

  /**
   * A run of the workflow registered as {@code name} with {@code gid}, to set options on and then execute.
   *
   * @throws IllegalArgumentException when no workflow has that name, or the gid is blank, longer than 128
   *     characters, or contains a line break, ';' or a control character
   */
  public WorkflowTransaction workflow(String name, String gid) {
    Objects.requireNonNull(name, "name");
    WorkflowFunction function = functions.get(name);
    if (function == null) {
      String known = String.join(", ", new TreeSet<>(functions.keySet()));
      throw new IllegalArgumentException("no workflow named '" + name + "' is registered"
          + (known.isEmpty() ? "" : "; registered: " + known));
    }
    return new WorkflowTransaction(this, runtime, name, function, gid);
  }

  /**
   * Runs (or resumes, or looks up) the workflow {@code name} with {@code gid} and raw {@code input}; see
   * {@link WorkflowTransaction#execute(byte[])}.
   */
  public WorkflowResult execute(String name, String gid, byte[] input) {
    return workflow(name, gid).execute(input);
  }

  /**
   * As {@link #execute(String, String, byte[])}, with {@code input} written as JSON by the client's codec; see
   * {@link WorkflowTransaction#execute(Object)}.
   */
  public WorkflowResult execute(String name, String gid, Object input) {
    return workflow(name, gid).execute(input);
  }

  /**
   * The handler to mount at the resume URL (with {@code JdkHttpBranchHandler} or {@code ServletBranchHandler}). It
   * runs the workflow named by {@code op} with the call's gid and body, replaying its record, and answers 200 once the
   * workflow is final (succeeded or failed). A run that stops before that answers 500 (the coordinator calls again
   * after its retry interval); a gid already running in this process answers 425 (ongoing) and is left to that run.
   * A run is not cut short when the coordinator stops waiting for the answer (its request timeout).
   * A call that is not a workflow resume, names a workflow not registered here, or a gid the coordinator does not
   * know is answered 400 by {@link BranchHandler#respond}, which the SDK's adapters call (a caller of {@code handle}
   * gets an {@link IllegalArgumentException}): a resume call never creates a workflow.
   */
  public BranchHandler resumeHandler() {
    return new ResumeHandler();
  }

  /** Takes the in-process lease on {@code gid}, waiting for a run in progress, or refusing when {@code !wait}. */
  Lease acquire(String gid, boolean wait) {
    Lease mine = new Lease();
    while (true) {
      Lease other = running.putIfAbsent(gid, mine);
      if (other == null) {
        return mine;
      }
      if (other.owner == Thread.currentThread()) {
        throw new IllegalStateException("workflow " + gid + " is executed from inside its own run");
      }
      if (!wait) {
        throw new BranchOngoingException("workflow " + gid + " is running in this process");
      }
      try {
        other.done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new WorkflowIncompleteException(gid, "interrupted while waiting for the run in progress in this "
            + "process", e);
      }
    }
  }

  void release(String gid, Lease lease) {
    running.remove(gid, lease);
    lease.done.countDown();
  }

  /** An in-process run of one gid: who runs it, and a latch opened when it ends. */
  static final class Lease {
    private final Thread owner = Thread.currentThread();
    private final CountDownLatch done = new CountDownLatch(1);
  }

  /**
   * The resume endpoint (reference section 2.7). {@link #respond} is the default flow (context attached, outcome
   * mapped by {@link BranchResponse}) with two differences. A call it cannot resolve to a registered workflow known to
   * the coordinator is answered 400, since repeating it cannot help. And the coordinator's deadline (its request
   * timeout) is dropped: a run is worth finishing after the coordinator stopped waiting for the answer, while under
   * the deadline a step slower than the request timeout could never be recorded and would run again on every resume.
   * The next resume call finds the run still going (answered 425) or the workflow final.
   */
  private final class ResumeHandler implements BranchHandler {
    @Override
    public Object handle(BranchRequest request) {
      resolve(request).run(request.body(), false);
      return null;
    }

    @Override
    public BranchResponse respond(BranchRequest request) {
      CohortContext context = CohortContext.fromRequest(request, InstantSource.system()).withDeadline(null);
      try (CohortContext.Scope ignored = context.attach()) {
        WorkflowTransaction run;
        try {
          run = resolve(request);
        } catch (IllegalArgumentException e) {
          return BranchResponse.error(400, e.getMessage());
        }
        run.run(request.body(), false);
      } catch (RuntimeException e) {
        return BranchResponse.forException(e);
      }
      return BranchResponse.success();
    }

    /** The workflow a resume call names: a registered name, a valid gid the coordinator holds as a workflow. */
    private WorkflowTransaction resolve(BranchRequest request) {
      if (!"workflow".equals(request.transType())) {
        throw new IllegalArgumentException("not a workflow resume call: trans_type is '" + request.transType() + "'");
      }
      WorkflowTransaction run = workflow(request.op(), request.gid());
      Optional<TransactionInfo> known = client.query(request.gid());
      if (known.isEmpty() || !"workflow".equals(known.get().transType())) {
        throw new IllegalArgumentException("the coordinator holds no workflow with gid " + request.gid()
            + "; a resume call never creates one");
      }
      return run;
    }
  }
}
