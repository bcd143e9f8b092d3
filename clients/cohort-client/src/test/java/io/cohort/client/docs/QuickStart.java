package io.cohort.client.docs;

import com.sun.net.httpserver.HttpServer;
import io.cohort.client.CohortClient;
import io.cohort.client.PayloadCodec;
import io.cohort.client.TransactionInfo;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.participant.BranchHandler;
import io.cohort.client.participant.JdkHttpBranchHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The five-minute start of docs/java-sdk.md. The blocks between the {@code [doc:...]} markers appear verbatim in the
 * page; {@code DocSnippetsTest} fails when they drift apart, and {@code QuickStartTest} runs this code.
 */
final class QuickStart {
  private QuickStart() {
  }

  // [doc:participant]
  record Transfer(String account, long amount) {
  }

  /** A toy bank keeping balances in memory. A real one uses its database and the barrier (see below). */
  static HttpServer bank(int port, Map<String, Long> balances) throws IOException {
    PayloadCodec json = PayloadCodec.jackson();
    Set<String> applied = ConcurrentHashMap.newKeySet(); // gid/branch of every move made, so undo only undoes those
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    for (String op : new String[] {"withdraw", "deposit"}) {
      long sign = op.equals("withdraw") ? -1 : 1;
      server.createContext("/" + op, new JdkHttpBranchHandler(BranchHandler.of(req -> {
        Transfer t = json.decode(req.bodyAsString(), Transfer.class);
        if (!applied.add(req.gid() + "/" + req.branchId())) {
          return; // a repeated delivery: already done
        }
        balances.compute(t.account(), (account, balance) -> {
          long now = (balance == null ? 0 : balance) + sign * t.amount();
          if (now < 0) {
            applied.remove(req.gid() + "/" + req.branchId());
            throw new BranchFailedException("insufficient funds in " + account); // 409: the saga rolls back
          }
          return now;
        });
      })));
      server.createContext("/" + op + "-undo", new JdkHttpBranchHandler(BranchHandler.of(req -> {
        Transfer t = json.decode(req.bodyAsString(), Transfer.class);
        if (applied.remove(req.gid() + "/" + req.branchId())) {
          balances.merge(t.account(), -sign * t.amount(), Long::sum);
        }
      })));
    }
    server.start();
    return server;
  }
  // [doc:participant]

  // [doc:saga]
  static TransactionInfo transfer(String coordinatorUrl, String bankA, String bankB, long amount) {
    try (CohortClient cohort = CohortClient.create(coordinatorUrl)) {
      String gid = cohort.saga()
          .add(bankA + "/withdraw", bankA + "/withdraw-undo", new Transfer("alice", amount))
          .add(bankB + "/deposit", bankB + "/deposit-undo", new Transfer("bob", amount))
          .submit();
      return cohort.awaitFinal(gid, Duration.ofSeconds(30));
    }
  }
  // [doc:saga]
}
