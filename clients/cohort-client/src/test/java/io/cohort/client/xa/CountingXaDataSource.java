package io.cohort.client.xa;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.ConnectionEventListener;
import javax.sql.StatementEventListener;
import javax.sql.XAConnection;
import javax.sql.XADataSource;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * An XADataSource over a real one that counts the XA connections opened and closed through it, to catch leaks, with
 * one fault switch: {@link #answerReadOnlyToPrepare} makes XA PREPARE roll the branch back and answer
 * {@code XA_RDONLY}, a vote the real drivers never give for a branch that wrote something.
 */
final class CountingXaDataSource implements XADataSource {
  private final XADataSource delegate;
  private final AtomicInteger opened = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();
  private volatile boolean readOnlyPrepare;

  CountingXaDataSource(XADataSource delegate) {
    this.delegate = delegate;
  }

  int opened() {
    return opened.get();
  }

  int closed() {
    return closed.get();
  }

  /** From now on, XA PREPARE rolls the branch back and answers {@code XA_RDONLY}. */
  void answerReadOnlyToPrepare() {
    readOnlyPrepare = true;
  }

  /** Connections opened and not closed yet. */
  int open() {
    return opened.get() - closed.get();
  }

  @Override
  public XAConnection getXAConnection() throws SQLException {
    XAConnection xac = delegate.getXAConnection();
    opened.incrementAndGet();
    return new Counted(xac);
  }

  @Override
  public XAConnection getXAConnection(String user, String password) throws SQLException {
    XAConnection xac = delegate.getXAConnection(user, password);
    opened.incrementAndGet();
    return new Counted(xac);
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return delegate.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    delegate.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    delegate.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return delegate.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  private final class Counted implements XAConnection {
    private final XAConnection xac;
    private final AtomicBoolean isClosed = new AtomicBoolean();

    Counted(XAConnection xac) {
      this.xac = xac;
    }

    @Override
    public XAResource getXAResource() throws SQLException {
      XAResource xar = xac.getXAResource();
      return readOnlyPrepare ? new ReadOnlyPrepare(xar) : xar;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return xac.getConnection();
    }

    @Override
    public void close() throws SQLException {
      if (isClosed.compareAndSet(false, true)) {
        closed.incrementAndGet();
      }
      xac.close();
    }

    @Override
    public void addConnectionEventListener(ConnectionEventListener listener) {
      xac.addConnectionEventListener(listener);
    }

    @Override
    public void removeConnectionEventListener(ConnectionEventListener listener) {
      xac.removeConnectionEventListener(listener);
    }

    @Override
    public void addStatementEventListener(StatementEventListener listener) {
      xac.addStatementEventListener(listener);
    }

    @Override
    public void removeStatementEventListener(StatementEventListener listener) {
      xac.removeStatementEventListener(listener);
    }
  }

  /** Delegates everything but XA PREPARE, which rolls the branch back and votes read-only. */
  private static final class ReadOnlyPrepare implements XAResource {
    private final XAResource xar;

    ReadOnlyPrepare(XAResource xar) {
      this.xar = xar;
    }

    @Override
    public int prepare(Xid xid) throws XAException {
      xar.rollback(xid);
      return XA_RDONLY;
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
      xar.commit(xid, onePhase);
    }

    @Override
    public void end(Xid xid, int flags) throws XAException {
      xar.end(xid, flags);
    }

    @Override
    public void forget(Xid xid) throws XAException {
      xar.forget(xid);
    }

    @Override
    public int getTransactionTimeout() throws XAException {
      return xar.getTransactionTimeout();
    }

    @Override
    public boolean isSameRM(XAResource other) throws XAException {
      return xar.isSameRM(other);
    }

    @Override
    public Xid[] recover(int flag) throws XAException {
      return xar.recover(flag);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
      xar.rollback(xid);
    }

    @Override
    public boolean setTransactionTimeout(int seconds) throws XAException {
      return xar.setTransactionTimeout(seconds);
    }

    @Override
    public void start(Xid xid, int flags) throws XAException {
      xar.start(xid, flags);
    }
  }
}
