package io.cohort.store.jdbc;

import io.cohort.core.codec.Millis;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool.PoolInitializationException;
import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.store.jdbc.GroupCommitter.Write;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A store shared by several coordinators: PostgreSQL, or MySQL/MariaDB, reached through a HikariCP pool.
 *
 * <p><b>Model.</b> One row per transaction in {@code cohort_transaction}: the whole aggregate (transaction, options,
 * branches) as one {@link RecordCodec} record in the {@code record} column, plus columns derived from that record on
 * every write for the queries to use: {@code gid} (unique), {@code status}, {@code trans_type}, {@code create_time},
 * {@code next_wake} (set only while the transaction is not final: what claims scan), {@code finish_time} (set only
 * once it is final: what purges scan), {@code version} (the compare-and-set key) and {@code owner}. A step of the
 * engine is therefore one statement and one commit: the insert, or one {@code UPDATE ... WHERE gid = ? AND version =
 * ?} that replaces the row. The {@code id} column is assigned by the database (an identity / auto-increment column,
 * so ids increase in insertion order and are never reused, even after the newest rows were purged) and is the truth
 * for the id: the record's own id field is overwritten with it on every read. Key-value entries live in
 * {@code cohort_kv}, keys stored as UTF-16 bytes so that the database's byte order is {@link String#compareTo} order.
 * The DDL is in {@code io/cohort/store/jdbc/migration/<dialect>/}; {@link Schema} applies it with Flyway.
 *
 * <p><b>Claims.</b> {@link #claimDue} runs one short database transaction: {@code SELECT id, record ... WHERE next_wake
 * <= now ORDER BY next_wake, id LIMIT n FOR UPDATE SKIP LOCKED}, then one batched {@code UPDATE} per selected row that
 * writes the claimed record (owner token, lease as wake time, version + 1) and sets {@code next_wake} to the lease,
 * then commit. Two claimers can never get the same transaction: a row one claimer has selected is locked until its
 * commit, and the other's {@code SKIP LOCKED} passes over it instead of waiting; once the first commits, the row's
 * {@code next_wake} is the lease, in the future, so the other's condition no longer holds (PostgreSQL re-checks the
 * condition on the newest row version before locking it; InnoDB's locking reads always read the newest committed
 * version). A compare-and-set {@link #update} racing a claim is serialized with it by the same row lock: whichever
 * commits second sees the other's write (the claim re-reads the updated row, the update finds the version moved on).
 * Skipping rather than waiting is also what spreads the work: several coordinators claiming at once take disjoint sets
 * of the earliest due rows, and none waits for another.
 *
 * <p><b>Group commit.</b> A commit costs the database much more than the one-row statement before it, so inserts and
 * updates are not run on the caller's thread: the {@link GroupCommitter}'s writer threads (a quarter of the pool, 1 to
 * 4) each take the writes queued meanwhile, run their statements on one connection in one database transaction (in gid
 * order, at most one write per gid) and commit once. Each write keeps its own statement and outcome, so results are
 * those of running them one by one; a lone write runs alone in autocommit. On 2 cores this more than doubled the
 * sagas per second PostgreSQL sustains. Claims, purges, reads and key-value calls run on the caller's thread.
 *
 * <p><b>Crash safety.</b> Each method returns after the commit that holds its write: with PostgreSQL's
 * {@code synchronous_commit=on} and InnoDB's {@code innodb_flush_log_at_trx_commit=1} (the defaults) the write is on
 * disk. A claim or a step is one database transaction, so a crash leaves either all of it or none. If the connection
 * breaks while a commit is in flight, the outcome is unknown; the call fails with {@link JdbcStoreException} and the
 * caller reads again before acting, as with every store. Deadlock victims (rolled back whole by the database) are
 * retried a few times.
 *
 * <p><b>Concurrency.</b> The store holds no lock of its own around the database; every call borrows a pooled
 * connection for its statements and returns it. Calls block the calling (virtual) thread on socket I/O or on their
 * queued write only; the drivers and HikariCP use {@code java.util.concurrent} locks, which do not pin a carrier
 * thread. At most {@code poolSize} connections are in use at once; more callers wait for one up to the connection
 * timeout.
 *
 * <p><b>Precision and limits.</b> Instants are kept to the millisecond (as {@code bigint} epoch milliseconds), as the
 * store contract requires. A gid may take at most {@value #MAX_GID_BYTES} bytes of UTF-8 (a protocol gid of 128
 * characters takes at most 384), a key-value category {@value #MAX_CATEGORY_BYTES} bytes of UTF-8 and a key
 * {@value #MAX_KEY_CHARS} characters; longer ones are refused with {@link IllegalArgumentException}. The transaction
 * {@link #insert} returns is the caller's, with its id set.
 */
public final class JdbcTransactionStore implements TransactionStore {
  private static final System.Logger LOG = System.getLogger(JdbcTransactionStore.class.getName());

  public static final int MAX_GID_BYTES = 512;
  public static final int MAX_CATEGORY_BYTES = 255;
  public static final int MAX_KEY_CHARS = 512;
  /** The informational {@code owner} column keeps at most this many characters. */
  private static final int OWNER_COLUMN_CHARS = 255;
  /** Attempts of a call whose database transaction was rolled back as a deadlock victim. */
  private static final int ATTEMPTS = 3;

  private static final String FIND = "select id, record from cohort_transaction where gid = ?";
  private static final String UPDATE = "update cohort_transaction set status = ?, trans_type = ?, create_time = ?,"
      + " next_wake = ?, finish_time = ?, version = ?, owner = ?, record = ? where gid = ? and version = ?";
  private static final String CLAIM_SELECT = "select id, record from cohort_transaction where next_wake <= ?"
      + " order by next_wake, id limit ? for update skip locked";
  private static final String CLAIM_UPDATE = "update cohort_transaction set next_wake = ?, version = ?, owner = ?,"
      + " record = ? where id = ?";
  private static final String WAKING_AFTER = "select id, record from cohort_transaction where next_wake > ?"
      + " order by next_wake, id limit ?";
  private static final String KV_FIND = "select id, version, entry_value, create_time, update_time from cohort_kv"
      + " where category = ? and entry_key = ?";
  private static final String KV_SCAN = "select id, entry_key, version, entry_value, create_time, update_time"
      + " from cohort_kv where category = ? and entry_key > ? order by entry_key limit ?";
  private static final String KV_REPLACE = "update cohort_kv set entry_value = ?, version = ?, update_time = ?"
      + " where category = ? and entry_key = ? and version = ?";
  private static final String KV_DELETE = "delete from cohort_kv where category = ? and entry_key = ? and version = ?";

  private final HikariDataSource pool;
  private final Dialect dialect;
  /** The database as messages show it: the URL without password. */
  private final String database;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final GroupCommitter writer;

  private JdbcTransactionStore(HikariDataSource pool, Dialect dialect, String database, int writers) {
    this.pool = pool;
    this.dialect = dialect;
    this.database = database;
    this.writer = new GroupCommitter(pool, new GroupCommitter.Statements() {
      @Override
      public Object run(Connection c, Write w) throws SQLException {
        return w.insert ? insertOn(c, w) : (Object) updateOn(c, w);
      }

      @Override
      public Object runAlone(Write w) {
        return w.insert ? insertAlone(w) : (Object) JdbcTransactionStore.this.run("update", c -> updateOn(c, w));
      }

      @Override
      public JdbcStoreException failure(String what, SQLException e) {
        return JdbcTransactionStore.failure(database, what, e);
      }
    }, writers, "cohort-jdbc");
  }

  /** The group committer, for measurements and tests in this package. */
  GroupCommitter writer() {
    return writer;
  }

  /**
   * Writer threads for a pool: a quarter of it, 1 to 4; the rest serves reads and claims. Measured on 2 cores with 64
   * writing threads: 1 writer 4.1k sagas/s (batches wait for each other), 2 or 4 writers 9.7k-9.8k, 8 writers 6.6k
   * (smaller batches, more commits).
   */
  static int writersFor(int poolSize) {
    return Math.max(1, Math.min(4, poolSize / 4));
  }

  /**
   * Opens the store: builds the connection pool, checks the server and the schema version, and applies missing
   * migrations when {@link JdbcStoreOptions#migrateOnStart()} is on.
   *
   * @throws StoreUnavailableException when the database cannot be reached within the connection timeout
   * @throws SchemaVersionException when the schema is newer than this build, or missing or older while migrations on
   *     start are off, or a migration failed
   * @throws JdbcStoreException when the server is too old or another database error occurs
   */
  public static JdbcTransactionStore open(JdbcStoreOptions options) {
    return open(options, writersFor(Objects.requireNonNull(options, "options").poolSize()));
  }

  /** {@link #open(JdbcStoreOptions)} with a given number of writer threads, for measurements. */
  static JdbcTransactionStore open(JdbcStoreOptions options, int writers) {
    Objects.requireNonNull(options, "options");
    Dialect dialect = options.dialect();
    String database = options.redactedUrl();
    HikariDataSource pool = pool(options, "cohort-jdbc", options.poolSize());
    try {
      String server = checkServer(pool, dialect, database);
      int version = Schema.installedVersion(pool, database);
      Schema.refuseNewer(version, database);
      if (version < Schema.CURRENT_VERSION) {
        if (!options.migrateOnStart()) {
          throw Schema.behind(version, database);
        }
        SchemaMigration m = Schema.migrate(pool, dialect, database, version);
        LOG.log(System.Logger.Level.INFO, "JDBC store at {0}: schema migrated from version {1} to {2}", database,
            m.versionBefore(), m.versionAfter());
        version = m.versionAfter();
      }
      LOG.log(System.Logger.Level.INFO, "JDBC store opened: {0}, schema version {1}, {2}", server, version, options);
      return new JdbcTransactionStore(pool, dialect, database, writers);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /**
   * Brings the database's schema to the version this build knows, for the {@code migrate} command; does nothing when
   * it is current. Uses its own two connections and closes them. {@link JdbcStoreOptions#migrateOnStart()} and
   * {@link JdbcStoreOptions#poolSize()} play no part.
   *
   * @throws StoreUnavailableException when the database cannot be reached within the connection timeout
   * @throws SchemaVersionException when the schema is newer than this build, or a migration failed
   */
  public static SchemaMigration migrate(JdbcStoreOptions options) {
    Objects.requireNonNull(options, "options");
    Dialect dialect = options.dialect();
    String database = options.redactedUrl();
    try (HikariDataSource pool = pool(options, "cohort-jdbc-migrate", 2)) {
      checkServer(pool, dialect, database);
      int version = Schema.installedVersion(pool, database);
      Schema.refuseNewer(version, database);
      if (version == Schema.CURRENT_VERSION) {
        return new SchemaMigration(database, version, version, 0);
      }
      return Schema.migrate(pool, dialect, database, version);
    }
  }

  /** The newest schema version this build knows. */
  public static int schemaVersion() {
    return Schema.CURRENT_VERSION;
  }

  private static HikariDataSource pool(JdbcStoreOptions o, String name, int size) {
    HikariConfig c = new HikariConfig();
    c.setPoolName(name);
    c.setJdbcUrl(o.url());
    if (o.user() != null) {
      c.setUsername(o.user());
    }
    if (o.password() != null) {
      c.setPassword(o.password());
    }
    long timeout = o.connectionTimeout().toMillis();
    c.setMaximumPoolSize(size);
    c.setMinimumIdle(size);
    c.setConnectionTimeout(timeout);
    c.setValidationTimeout(Math.min(timeout, 5_000));
    // Keep trying to connect for the connection timeout, then fail the start (instead of Hikari's default: one try).
    c.setInitializationFailTimeout(timeout);
    c.setAutoCommit(true);
    // PostgreSQL's default; on MySQL it spares claims and purges the gap locks of REPEATABLE READ.
    c.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    String lower = o.url().toLowerCase(Locale.ROOT);
    // Bound a connection attempt by the timeout too, unless the URL says otherwise.
    if (o.dialect() == Dialect.POSTGRESQL) {
      if (!lower.contains("connecttimeout=")) {
        c.addDataSourceProperty("connectTimeout", Long.toString(Math.max(1, (timeout + 999) / 1000)));
      }
      if (!lower.contains("applicationname=")) {
        c.addDataSourceProperty("ApplicationName", "cohort");
      }
      c.addDataSourceProperty("tcpKeepAlive", "true");
    } else {
      if (!lower.contains("connecttimeout=")) {
        c.addDataSourceProperty("connectTimeout", Long.toString(timeout));
      }
      c.addDataSourceProperty("tcpKeepAlive", "true");
    }
    try {
      return new HikariDataSource(c);
    } catch (PoolInitializationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreUnavailableException("cannot reach the database at " + o.redactedUrl() + " within "
          + timeout + "ms: " + scrub(String.valueOf(cause.getMessage()), o.password()), cause);
    } catch (RuntimeException e) {
      throw new JdbcStoreException("cannot set up the connection pool for " + o.redactedUrl() + ": "
          + scrub(String.valueOf(e.getMessage()), o.password()), e);
    }
  }

  private static String scrub(String message, String password) {
    String s = password == null || password.isEmpty() ? message : message.replace(password, "***");
    return JdbcStoreOptions.redact(s);
  }

  /** Refuses a server too old for the dialect's statements; returns a description for the log. */
  private static String checkServer(HikariDataSource pool, Dialect dialect, String database) {
    try (Connection c = pool.getConnection()) {
      DatabaseMetaData meta = c.getMetaData();
      String product = meta.getDatabaseProductName();
      String version = meta.getDatabaseProductVersion();
      String tooOld = dialect.checkServer(product, meta.getDatabaseMajorVersion(), meta.getDatabaseMinorVersion(),
          version);
      if (tooOld != null) {
        throw new JdbcStoreException("the database at " + database + ": " + tooOld, null);
      }
      return product + " " + version + " at " + database;
    } catch (SQLException e) {
      throw failure(database, "checking the server", e);
    }
  }

  // ----------------------------------------------------------------------------------------------- writes

  @Override
  public InsertResult insert(Transaction t) {
    Objects.requireNonNull(t, "transaction");
    byte[] gid = gidBytes(t.gid());
    byte[] record = RecordCodec.encode(t);
    ensureOpen();
    return (InsertResult) writer.submit(new Write(true, t, gid, record, 0));
  }

  /** An insert inside a batch: its outcome, or {@code null} when the gid was taken but its row is gone already. */
  private InsertResult insertOn(Connection c, Write w) throws SQLException {
    long id = insertRow(c, w.gid, w.transaction, w.record);
    if (id > 0) {
      return new InsertResult(true, w.transaction.withId(id));
    }
    return find(c, w.gid).map(existing -> new InsertResult(false, existing)).orElse(null);
  }

  private InsertResult insertAlone(Write w) {
    return run("insert", c -> {
      // A taken gid whose row is purged before we read it: insert again (bounded: a purge only removes final rows).
      for (int attempt = 0; attempt < 10; attempt++) {
        InsertResult r = insertOn(c, w);
        if (r != null) {
          return r;
        }
      }
      throw new IllegalStateException("insert of " + w.transaction.gid()
          + ": the gid was taken, then gone, ten times over");
    });
  }

  /** Inserts the row if the gid is free; its new id, or 0 when the gid is taken. */
  private long insertRow(Connection c, byte[] gid, Transaction t, byte[] record) throws SQLException {
    if (dialect.insertFailsOnDuplicate()) {
      try (PreparedStatement ps = c.prepareStatement(dialect.insertTransaction, Statement.RETURN_GENERATED_KEYS)) {
        ps.setBytes(1, gid);
        bindColumns(ps, 2, t, record);
        try {
          ps.executeUpdate();
        } catch (SQLException e) {
          if (dialect.isDuplicateKey(e)) {
            return 0;
          }
          throw e;
        }
        try (ResultSet keys = ps.getGeneratedKeys()) {
          if (!keys.next()) {
            throw new SQLException("the insert reported no generated id");
          }
          return keys.getLong(1);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(dialect.insertTransaction)) {
      ps.setBytes(1, gid);
      bindColumns(ps, 2, t, record);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** Binds status, trans_type, create_time, next_wake, finish_time, version, owner, record from {@code from} on. */
  private static void bindColumns(PreparedStatement ps, int from, Transaction t, byte[] record) throws SQLException {
    ps.setInt(from, RecordCodec.statusCode(record));
    ps.setString(from + 1, t.type().wire());
    setMillis(ps, from + 2, t.createTime() == null ? RecordCodec.NULL : RecordCodec.millis(t.createTime()));
    setMillis(ps, from + 3, RecordCodec.indexedWake(record));
    setMillis(ps, from + 4, RecordCodec.indexedFinish(record));
    ps.setLong(from + 5, RecordCodec.version(record));
    ps.setString(from + 6, ownerColumn(t.owner()));
    ps.setBytes(from + 7, record);
  }

  private static void setMillis(PreparedStatement ps, int index, long millis) throws SQLException {
    if (millis == RecordCodec.NULL) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, millis);
    }
  }

  /** The owner as the informational column keeps it: no NUL (PostgreSQL text refuses it), at most 255 chars. */
  private static String ownerColumn(String owner) {
    String s = owner.indexOf('\0') >= 0 ? owner.replace("\0", "") : owner;
    return s.length() > OWNER_COLUMN_CHARS ? s.substring(0, OWNER_COLUMN_CHARS) : s;
  }

  @Override
  public boolean update(Transaction next, long expectedVersion) {
    Objects.requireNonNull(next, "next");
    if (next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("next version must be " + (expectedVersion + 1) + ", got " + next.version());
    }
    byte[] gid = gidBytes(next.gid());
    byte[] record = RecordCodec.encode(next);
    ensureOpen();
    return (Boolean) writer.submit(new Write(false, next, gid, record, expectedVersion));
  }

  private static boolean updateOn(Connection c, Write w) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(UPDATE)) {
      bindColumns(ps, 1, w.transaction, w.record);
      ps.setBytes(9, w.gid);
      ps.setLong(10, w.expectedVersion);
      return ps.executeUpdate() == 1;
    }
  }

  @Override
  public List<Transaction> claimDue(Instant now, int limit, String ownerToken, Instant leaseUntil) {
    if (!TransactionStore.checkClaim(now, limit, ownerToken, leaseUntil)) {
      return List.of();
    }
    long nowMillis = Millis.floor(now);
    long leaseMillis = RecordCodec.millis(leaseUntil);
    // The lease as it will be stored, so the claimed copies returned equal what find() reads.
    Instant lease = Instant.ofEpochMilli(leaseMillis);
    String owner = ownerColumn(ownerToken);
    return call("claim", c -> {
      c.setAutoCommit(false);
      try {
        List<Transaction> claimed = new ArrayList<>(Math.min(limit, 256));
        try (PreparedStatement ps = c.prepareStatement(CLAIM_SELECT)) {
          ps.setLong(1, nowMillis);
          ps.setInt(2, limit);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              Transaction t = decode(rs.getLong(1), rs.getBytes(2));
              claimed.add(t.withSchedule(lease, t.retryInterval(), t.failures(), ownerToken)
                  .withVersion(t.version() + 1));
            }
          }
        }
        if (!claimed.isEmpty()) {
          try (PreparedStatement ps = c.prepareStatement(CLAIM_UPDATE)) {
            for (Transaction t : claimed) {
              ps.setLong(1, leaseMillis);
              ps.setLong(2, t.version());
              ps.setString(3, owner);
              ps.setBytes(4, RecordCodec.encode(t));
              ps.setLong(5, t.id());
              ps.addBatch();
            }
            for (int n : ps.executeBatch()) {
              if (n == 0) {
                // The rows are locked by this transaction: nobody can have changed or deleted them.
                throw new IllegalStateException("a claimed row vanished under its lock");
              }
            }
          }
        }
        c.commit();
        return claimed;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      } finally {
        c.setAutoCommit(true);
      }
    });
  }

  @Override
  public int purgeFinished(Instant finishedBefore, int limit) {
    Objects.requireNonNull(finishedBefore, "finishedBefore");
    if (!TransactionStore.checkLimit("purge limit", limit)) {
      return 0;
    }
    // finish < finishedBefore, for whole milliseconds: finish < its ceiling.
    long bound = Millis.ceil(finishedBefore);
    return call("purge", c -> {
      try (PreparedStatement ps = c.prepareStatement(dialect.purge)) {
        ps.setLong(1, bound);
        ps.setInt(2, limit);
        return ps.executeUpdate();
      }
    });
  }

  // ------------------------------------------------------------------------------------------------ reads

  @Override
  public Optional<Transaction> find(String gid) {
    byte[] key = gidBytes(gid);
    return call("find", c -> find(c, key));
  }

  private static Optional<Transaction> find(Connection c, byte[] gid) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FIND)) {
      ps.setBytes(1, gid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(decode(rs.getLong(1), rs.getBytes(2))) : Optional.empty();
      }
    }
  }

  @Override
  public Page list(ListQuery q) {
    Objects.requireNonNull(q, "query");
    if (q.limit() < 1) {
      throw new IllegalArgumentException("list limit must be at least 1, got " + q.limit());
    }
    StringBuilder sql = new StringBuilder("select id, record from cohort_transaction");
    List<Object> args = new ArrayList<>(7);
    if (q.gid() != null) {
      where(sql, args, "gid = ?", gidBytes(q.gid()));
    }
    if (q.beforeId() > 0) {
      where(sql, args, "id < ?", q.beforeId());
    }
    if (q.status() != null) {
      where(sql, args, "status = ?", (long) q.status().code());
    }
    if (q.type() != null) {
      where(sql, args, "trans_type = ?", q.type().wire());
    }
    if (q.createdFrom() != null) {
      where(sql, args, "create_time >= ?", Millis.ceil(q.createdFrom()));
    }
    if (q.createdTo() != null) {
      where(sql, args, "create_time <= ?", Millis.floor(q.createdTo()));
    }
    sql.append(" order by id desc limit ?");
    args.add(q.limit() + 1L);
    String text = sql.toString();
    List<Transaction> rows = call("list", c -> {
      try (PreparedStatement ps = c.prepareStatement(text)) {
        for (int i = 0; i < args.size(); i++) {
          switch (args.get(i)) {
            case byte[] b -> ps.setBytes(i + 1, b);
            case Long l -> ps.setLong(i + 1, l);
            case String s -> ps.setString(i + 1, s);
            default -> throw new IllegalStateException("unexpected argument " + args.get(i));
          }
        }
        return readTransactions(ps, Math.min(q.limit() + 1, 256));
      }
    });
    return Page.ofOverfetched(rows, q.limit());
  }

  private static void where(StringBuilder sql, List<Object> args, String condition, Object arg) {
    sql.append(args.isEmpty() ? " where " : " and ").append(condition);
    args.add(arg);
  }

  @Override
  public List<Transaction> wakingAfter(Instant after, int limit) {
    Objects.requireNonNull(after, "after");
    TransactionStore.checkLimit("limit", limit);
    // Stored wake times are whole milliseconds: after {@code after} means after its floor.
    long afterMillis = Millis.floor(after);
    if (limit == 0 || afterMillis == Long.MAX_VALUE) {
      return List.of();
    }
    return call("wakingAfter", c -> {
      try (PreparedStatement ps = c.prepareStatement(WAKING_AFTER)) {
        ps.setLong(1, afterMillis);
        ps.setInt(2, limit);
        return readTransactions(ps, Math.min(limit, 256));
      }
    });
  }

  private static List<Transaction> readTransactions(PreparedStatement ps, int expected) throws SQLException {
    List<Transaction> out = new ArrayList<>(expected);
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(decode(rs.getLong(1), rs.getBytes(2)));
      }
    }
    return out;
  }

  /** The stored transaction: the record, with the id column (the truth for the id) patched in. */
  private static Transaction decode(long id, byte[] record) {
    RecordCodec.checkSchema(record);
    RecordCodec.patchId(record, id);
    return RecordCodec.decode(record);
  }

  // ------------------------------------------------------------------------------------------ key-value entries

  @Override
  public Optional<KvEntry> kvFind(String category, String key) {
    byte[] cat = categoryBytes(category);
    byte[] k = keyBytes(key);
    return call("kvFind", c -> {
      try (PreparedStatement ps = c.prepareStatement(KV_FIND)) {
        ps.setBytes(1, cat);
        ps.setBytes(2, k);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          byte[] value = rs.getBytes(3);
          return Optional.of(new KvEntry(rs.getLong(1), category, key, text(value), rs.getLong(2),
              instant(rs, 4), instant(rs, 5)));
        }
      }
    });
  }

  @Override
  public List<KvEntry> kvScan(String category, String afterKey, int limit) {
    byte[] cat = categoryBytes(category);
    Objects.requireNonNull(afterKey, "afterKey");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, got " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    // No length check on afterKey: it only bounds the scan.
    byte[] after = utf16(afterKey);
    return call("kvScan", c -> {
      try (PreparedStatement ps = c.prepareStatement(KV_SCAN)) {
        ps.setBytes(1, cat);
        ps.setBytes(2, after);
        ps.setInt(3, limit);
        List<KvEntry> out = new ArrayList<>(Math.min(limit, 256));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new KvEntry(rs.getLong(1), category, fromUtf16(rs.getBytes(2)), text(rs.getBytes(4)),
                rs.getLong(3), instant(rs, 5), instant(rs, 6)));
          }
        }
        return out;
      }
    });
  }

  @Override
  public boolean kvPut(KvEntry entry, long expectedVersion) {
    Objects.requireNonNull(entry, "entry");
    byte[] cat = categoryBytes(entry.category());
    byte[] k = keyBytes(entry.key());
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("expected version must not be negative, got " + expectedVersion);
    }
    if (expectedVersion == 0 ? entry.version() < 1 : entry.version() != expectedVersion + 1) {
      throw new IllegalArgumentException((expectedVersion == 0 ? "a new entry's version must be at least 1"
          : "next version must be " + (expectedVersion + 1)) + ", got " + entry.version());
    }
    byte[] value = RecordCodec.utf8(entry.value());
    long created = entry.createTime() == null ? RecordCodec.NULL : RecordCodec.millis(entry.createTime());
    long updated = entry.updateTime() == null ? RecordCodec.NULL : RecordCodec.millis(entry.updateTime());
    if (expectedVersion == 0) {
      return call("kvPut", c -> {
        try (PreparedStatement ps = c.prepareStatement(dialect.insertKv)) {
          ps.setBytes(1, cat);
          ps.setBytes(2, k);
          ps.setLong(3, entry.version());
          ps.setBytes(4, value);
          setMillis(ps, 5, created);
          setMillis(ps, 6, updated);
          return ps.executeUpdate() == 1;
        } catch (SQLException e) {
          if (dialect.isDuplicateKey(e)) {
            return false;
          }
          throw e;
        }
      });
    }
    return call("kvPut", c -> {
      try (PreparedStatement ps = c.prepareStatement(KV_REPLACE)) {
        ps.setBytes(1, value);
        ps.setLong(2, entry.version());
        setMillis(ps, 3, updated);
        ps.setBytes(4, cat);
        ps.setBytes(5, k);
        ps.setLong(6, expectedVersion);
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public boolean kvDelete(String category, String key, long expectedVersion) {
    byte[] cat = categoryBytes(category);
    byte[] k = keyBytes(key);
    return call("kvDelete", c -> {
      try (PreparedStatement ps = c.prepareStatement(KV_DELETE)) {
        ps.setBytes(1, cat);
        ps.setBytes(2, k);
        ps.setLong(3, expectedVersion);
        return ps.executeUpdate() == 1;
      }
    });
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  private static String text(byte[] utf8) {
    return RecordCodec.decodeChars(utf8, 0, utf8.length);
  }

  // --------------------------------------------------------------------------------------------- encodings

  private static byte[] gidBytes(String gid) {
    byte[] b = RecordCodec.utf8(Objects.requireNonNull(gid, "gid"));
    if (b.length > MAX_GID_BYTES) {
      throw new IllegalArgumentException("a gid may take at most " + MAX_GID_BYTES + " bytes of UTF-8 in the JDBC"
          + " store, got " + b.length);
    }
    return b;
  }

  private static byte[] categoryBytes(String category) {
    byte[] b = RecordCodec.utf8(Objects.requireNonNull(category, "category"));
    if (b.length > MAX_CATEGORY_BYTES) {
      throw new IllegalArgumentException("a key-value category may take at most " + MAX_CATEGORY_BYTES
          + " bytes of UTF-8 in the JDBC store, got " + b.length);
    }
    return b;
  }

  private static byte[] keyBytes(String key) {
    Objects.requireNonNull(key, "key");
    if (key.length() > MAX_KEY_CHARS) {
      throw new IllegalArgumentException("a key-value key may be at most " + MAX_KEY_CHARS + " characters long in"
          + " the JDBC store, got " + key.length());
    }
    return utf16(key);
  }

  /** UTF-16BE, char by char (a lone surrogate too): unsigned byte order equals {@link String#compareTo} order. */
  static byte[] utf16(String s) {
    byte[] b = new byte[s.length() * 2];
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      b[2 * i] = (byte) (ch >>> 8);
      b[2 * i + 1] = (byte) ch;
    }
    return b;
  }

  static String fromUtf16(byte[] b) {
    if ((b.length & 1) != 0) {
      throw new IllegalStateException("stored key-value key has an odd length (" + b.length + " bytes): corrupt");
    }
    char[] chars = new char[b.length / 2];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) (((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF));
    }
    return new String(chars);
  }



  // --------------------------------------------------------------------------------------------- plumbing

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the JDBC store at " + database + " is closed");
    }
  }

  /** {@link #run} for a caller: refused once the store is closed. */
  private <T> T call(String what, Work<T> work) {
    ensureOpen();
    return run(what, work);
  }

  /** Runs {@code work} on a pooled connection; retries deadlock victims, maps failures to store exceptions. */
  private <T> T run(String what, Work<T> work) {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = pool.getConnection()) {
        return work.run(c);
      } catch (SQLException e) {
        if (attempt < ATTEMPTS && isDeadlockVictim(e)) {
          continue;
        }
        throw failure(database, what, e);
      }
    }
  }

  /** A transaction the database rolled back whole to break a deadlock or a serialization conflict: safe to retry. */
  private static boolean isDeadlockVictim(SQLException e) {
    String state = e.getSQLState();
    return "40001".equals(state) || "40P01".equals(state);
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, "rollback after a failed claim failed too", e);
    }
  }

  static JdbcStoreException failure(String database, String what, SQLException e) {
    String state = e.getSQLState();
    String message = "JDBC store at " + database + ": " + what + " failed: "
        + JdbcStoreOptions.redact(String.valueOf(e.getMessage())) + (state == null ? "" : " (SQLState " + state + ")");
    if (GroupCommitter.isConnectionFailure(e)) {
      return new StoreUnavailableException(message, e);
    }
    return new JdbcStoreException(message, e);
  }

  // ------------------------------------------------------------------------------------------- life cycle

  /** Closes the pool; calls made after it fail with {@link IllegalStateException}. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      writer.close();
      pool.close();
      LOG.log(System.Logger.Level.DEBUG, "JDBC store at {0} closed", database);
    }
  }

  @Override
  public String toString() {
    return "JdbcTransactionStore[" + dialect.displayName + " at " + database + "]";
  }
}
