package io.cohort.examples.transfer;

import io.cohort.client.CohortClient;
import io.cohort.client.TransactionFailedException;
import io.cohort.client.msg.Msg;
import io.cohort.client.saga.Saga;
import io.cohort.client.tcc.TccTransaction;
import io.cohort.client.xa.XaTransaction;
import java.util.Objects;

/**
 * The application side of the example: starts one transfer between two running {@link Bank}s as a global transaction
 * of the chosen mode. Each method returns as soon as the coordinator has the transaction; the coordinator finishes
 * it (await it with {@link CohortClient#awaitFinal}).
 *
 * <p>A transfer the business refuses up front (a TCC try or an XA action answered FAILURE, a message whose local
 * withdrawal was short) is not an exception here: it is a transaction that ends {@code failed}, and
 * {@link Started#refusal()} says why.
 */
public final class Transfers {
  private final CohortClient client;

  public Transfers(CohortClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * What starting a transfer did: its gid, and the reason the client already knows it failed ({@code null} when it
   * was handed to the coordinator, which decides).
   */
  public record Started(String gid, String refusal) {}

  /** Starts moving {@code transfer.amount()} from {@code source} to {@code target} as a {@code mode} transaction. */
  public Started start(TransferMode mode, Bank source, Bank target, Transfer transfer) {
    return switch (mode) {
      case SAGA -> saga(source, target, transfer);
      case TCC -> tcc(source, target, transfer);
      case MSG -> msg(source, target, transfer);
      case XA -> xa(source, target, transfer);
    };
  }

  /** Step 1 withdraws (compensated by a credit back), step 2 deposits; the coordinator runs both. */
  public Started saga(Bank source, Bank target, Transfer transfer) {
    Saga saga = client.saga()
        .add(source.url(Bank.SAGA_WITHDRAW), source.url(Bank.SAGA_WITHDRAW_COMPENSATE), transfer)
        .add(target.url(Bank.SAGA_DEPOSIT), target.url(Bank.SAGA_DEPOSIT_COMPENSATE), transfer);
    return new Started(saga.submit(), null);
  }

  /** Both tries run here, through the SDK; the coordinator confirms both, or cancels both if a try failed. */
  public Started tcc(Bank source, Bank target, Transfer transfer) {
    TccTransaction tcc = client.tcc();
    try {
      tcc.execute(branches -> {
        branches.callBranch(transfer, source.url(Bank.TCC_WITHDRAW_TRY), source.url(Bank.TCC_WITHDRAW_CONFIRM),
            source.url(Bank.TCC_WITHDRAW_CANCEL));
        branches.callBranch(transfer, target.url(Bank.TCC_DEPOSIT_TRY), target.url(Bank.TCC_DEPOSIT_CONFIRM),
            target.url(Bank.TCC_DEPOSIT_CANCEL));
        return null;
      });
      return new Started(tcc.gid(), null);
    } catch (TransactionFailedException e) {
      return new Started(e.gid(), e.getMessage());
    }
  }

  /**
   * The withdrawal runs here, in the source bank's database, in one local transaction with the message's barrier row;
   * the deposit is the message's action, which the coordinator delivers once the local transaction has committed.
   */
  public Started msg(Bank source, Bank target, Transfer transfer) {
    Msg msg = message(source, target, transfer);
    try {
      msg.doAndSubmitDb(source.dataSource(), source.msgWithdraw(msg.gid(), transfer));
      return new Started(msg.gid(), null);
    } catch (TransactionFailedException e) {
      return new Started(e.gid(), e.getMessage());
    }
  }

  /** The message of {@link #msg}, not yet prepared: the deposit, and the source bank's check-back URL. */
  public Msg message(Bank source, Bank target, Transfer transfer) {
    return client.msg().add(target.url(Bank.MSG_DEPOSIT), transfer).queryPrepared(source.url(Bank.MSG_CHECK_BACK));
  }

  /** Each bank prepares its step in an XA branch when called here; the coordinator then commits both. */
  public Started xa(Bank source, Bank target, Transfer transfer) {
    XaTransaction xa = client.xa();
    try {
      xa.execute(branches -> {
        branches.callBranch(transfer, source.url(Bank.XA_WITHDRAW));
        branches.callBranch(transfer, target.url(Bank.XA_DEPOSIT));
        return null;
      });
      return new Started(xa.gid(), null);
    } catch (TransactionFailedException e) {
      return new Started(e.gid(), e.getMessage());
    }
  }
}
